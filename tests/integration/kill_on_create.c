/* kill_on_create DIR PREFIX PID SECONDS: SIGKILL PID the moment a file whose name starts
 * with PREFIX is created in DIR (inotify), i.e. while its writer is in the middle of writing
 * it (RELIABILITY D6). Exit 0 once killed, 1 if nothing was created within SECONDS, 2 on
 * usage errors. The watch is in place before "ready" is printed. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd p = {.events = POLLIN};
	size_t plen;
	ssize_t n;
	pid_t pid;
	int fd;

	if (argc != 5)
		return 2;
	plen = strlen(argv[2]);
	pid = (pid_t)atol(argv[3]);
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, argv[1], IN_CREATE) < 0) {
		perror("kill_on_create");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	p.fd = fd;
	while (poll(&p, 1, atoi(argv[4]) * 1000) > 0) {
		n = read(fd, buf, sizeof(buf));
		for (char *q = buf; n > 0 && q < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)q;

			if (e->len && strncmp(e->name, argv[2], plen) == 0) {
				(void)kill(pid, SIGKILL);
				printf("killed %ld at %s\n", (long)pid, e->name);
				return 0;
			}
			q += sizeof(*e) + e->len;
		}
	}
	return 1;
}
