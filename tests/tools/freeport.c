/*
 * freeport N - print N distinct free TCP ports on 127.0.0.1, one per line.
 *
 * Ports are taken below the kernel's ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range), at random: a port there is never
 * handed out as the local port of an outgoing connection, so it stays free
 * between our close() and the test server's bind() unless another program
 * binds it explicitly.  Each candidate is bound (and listened on) to prove it
 * is free; all sockets stay open until every port is chosen, so the N ports
 * are distinct.  If that fails, the kernel picks (bind to port 0).
 *
 * Exit status: 0 on success, 1 on a system error, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FREEPORT_MAX 64
#define FREEPORT_LOW 10000   /* lowest port we pick ourselves */
#define FREEPORT_TRIES 200   /* random candidates per port before port 0 */

static int usage(void)
{
	fprintf(stderr, "usage: freeport N   (1 <= N <= %d)\n", FREEPORT_MAX);
	return 2;
}

/* Returns the first port of the kernel's ephemeral range (32768 when it
 * cannot be read). */
static unsigned ephemeral_low(void)
{
	unsigned lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (f != NULL) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2)
			lo = 32768;
		fclose(f);
	}
	return lo;
}

/* Binds a new TCP socket to 127.0.0.1:want (0: the kernel picks) and
 * listens, so the port is really held; stores the port in *port.
 * Returns the fd, or -1 with errno. */
static int grab_port(unsigned short want, unsigned short *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(want);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 1) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	int fds[FREEPORT_MAX];
	unsigned short ports[FREEPORT_MAX];
	char *end = NULL;
	long n;
	int i, t, got = 0, rc = 0;
	unsigned lo = ephemeral_low();

	if (argc != 2)
		return usage();
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' || n < 1 ||
	    n > FREEPORT_MAX)
		return usage();

	srand((unsigned)time(NULL) ^ ((unsigned)getpid() << 16));
	for (i = 0; i < n; i++) {
		fds[i] = -1;
		for (t = 0; lo > FREEPORT_LOW + 100 && t < FREEPORT_TRIES &&
		            fds[i] < 0; t++) {
			unsigned short want = (unsigned short)
				(FREEPORT_LOW + (unsigned)rand() % (lo - FREEPORT_LOW));
			fds[i] = grab_port(want, &ports[i]);
		}
		if (fds[i] < 0)
			fds[i] = grab_port(0, &ports[i]);
		if (fds[i] < 0) {
			fprintf(stderr, "freeport: cannot bind 127.0.0.1:0: %s\n",
			        strerror(errno));
			rc = 1;
			goto out;
		}
		got++;
	}
	for (i = 0; i < n; i++)
		printf("%u\n", (unsigned)ports[i]);
	if (fflush(stdout) != 0)
		rc = 1;
out:
	for (i = 0; i < got; i++)
		close(fds[i]);
	return rc;
}
