/* fault_proxy PORT TARGET_PORT CONTROL: a TCP proxy on 127.0.0.1:PORT in front of a real
 * server on 127.0.0.1:TARGET_PORT that misbehaves on command (RELIABILITY C3).
 *
 * Each new connection reads CONTROL (one line) when it is accepted:
 *   pass      forward bytes both ways
 *   rst N     forward N bytes of the server's answers, then reset the client's connection
 *             (SO_LINGER 0: the client sees ECONNRESET mid-search)
 *   cut N     forward N bytes of the server's answers, then close cleanly (FIN): the client
 *             holds a BER element cut short and then end of file
 *   slow N    forward everything, the server's answers at most N bytes per millisecond (so
 *             that a full sync is still in flight when the test strikes)
 * A missing CONTROL means pass. Prints "ready" once listening; one process per connection;
 * runs until killed. Counts connections and faults in CONTROL.log (one line each). */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* rcvbuf > 0: a small receive buffer, so that a slow relay really holds the server back */
static int
tcp(unsigned short port, bool listening, int rcvbuf)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (listening ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0
	              : connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
note(const char *control, const char *what, long n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s.log", control);
	f = fopen(path, "a");
	if (f) {
		fprintf(f, "%s %ld\n", what, n);
		fclose(f);
	}
}

static int
relay(int client, unsigned short target, const char *control)
{
	char mode[16] = "pass", buf[16384];
	struct pollfd p[2];
	long limit = -1, sent = 0;
	size_t chunk = sizeof(buf);
	ssize_t n;
	int server, i;
	FILE *f = fopen(control, "r");

	if (f) {
		if (fscanf(f, "%15s %ld", mode, &limit) < 1)
			strcpy(mode, "pass");
		fclose(f);
	}
	if (strcmp(mode, "slow") == 0) {
		chunk = limit > 0 && (size_t)limit < sizeof(buf) ? (size_t)limit : sizeof(buf);
		limit = -1;
	} else if (strcmp(mode, "pass") == 0) {
		limit = -1;
	}
	server = tcp(target, false, chunk < sizeof(buf) ? 4096 : 0);
	if (server < 0)
		return 1;
	note(control, mode, limit);
	p[0] = (struct pollfd){.fd = client, .events = POLLIN};
	p[1] = (struct pollfd){.fd = server, .events = POLLIN};
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, i == 1 ? chunk : sizeof(buf));
			if (n <= 0)
				return 0; /* either side gone: both go */
			if (i == 1 && limit >= 0 && sent + n >= limit) {
				struct linger lg = {.l_onoff = 1, .l_linger = 0};

				n = limit - sent;
				if (n > 0 && write(client, buf, (size_t)n) != n)
					return 1;
				note(control,
				     strcmp(mode, "rst") == 0 ? "reset-after" : "cut-after", limit);
				if (strcmp(mode, "rst") == 0)
					(void)setsockopt(client, SOL_SOCKET, SO_LINGER, &lg,
					                 sizeof(lg));
				close(client);
				close(server);
				return 0;
			}
			if (write(p[1 - i].fd, buf, (size_t)n) != n)
				return 0;
			if (i == 1)
				sent += n;
			if (i == 1 && chunk < sizeof(buf))
				usleep(1000);
		}
	}
}

int
main(int argc, char **argv)
{
	int fd, c;

	if (argc != 4)
		return 2;
	signal(SIGCHLD, SIG_IGN); /* children reaped by the kernel */
	signal(SIGPIPE, SIG_IGN);
	fd = tcp((unsigned short)atoi(argv[1]), true, 0);
	if (fd < 0) {
		perror("fault_proxy");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(fd);
			_exit(relay(c, (unsigned short)atoi(argv[2]), argv[3]));
		}
		close(c);
	}
}
