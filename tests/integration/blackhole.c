/* blackhole PORT: accept TCP connections on 127.0.0.1:PORT and never answer
 * (RELIABILITY C2). Prints "ready" once listening; runs until killed. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd, one = 1;

	if (argc != 2)
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		perror("blackhole");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		(void)accept(fd, NULL, NULL); /* keep every connection open and silent */
}
