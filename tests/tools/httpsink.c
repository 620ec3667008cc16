/*
 * httpsink PORT DIR [STATUS] - a tiny HTTP/1.1 server on 127.0.0.1:PORT that
 * stores each request for the tests: DIR/N.head (request line and headers)
 * and DIR/N.body (the body, by Content-Length), N = 1, 2, ...; each file is
 * written under a temporary name and renamed, so a test never reads half a
 * request.  Answers STATUS (default 200) with an empty body.  Used by
 * t_notify.sh as the webhook receiver; runs until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXREQ (1 << 20)

static int
save(const char *dir, unsigned n, const char *ext, const char *p, size_t len)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%u.%s.tmp", dir, n, ext);
	snprintf(path, sizeof(path), "%s/%u.%s", dir, n, ext);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fwrite(p, 1, len, f);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a;
	char *buf, *end, *cl, resp[128];
	int s, c, one = 1, status = 200;
	unsigned n = 0;
	size_t len, need;
	ssize_t r;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: httpsink PORT DIR [STATUS]\n");
		return 2;
	}
	if (argc == 4)
		status = atoi(argv[3]);
	if ((buf = malloc(MAXREQ + 1)) == NULL)
		return 1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 8) != 0) {
		perror("httpsink");
		return 1;
	}
	for (;;) {
		if ((c = accept(s, NULL, NULL)) < 0)
			continue;
		len = 0;
		need = 0;
		end = NULL;
		while (len < MAXREQ) {
			r = read(c, buf + len, MAXREQ - len);
			if (r <= 0)
				break;
			len += (size_t)r;
			buf[len] = '\0';
			if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
				end += 4;
				for (cl = buf; cl < end; cl = strstr(cl, "\r\n") + 2)
					if (strncasecmp(cl, "Content-Length:", 15) == 0) {
						need = strtoul(cl + 15, NULL, 10);
						break;
					}
			}
			if (end != NULL && len >= (size_t)(end - buf) + need)
				break;
		}
		if (end != NULL) {
			n++;
			save(argv[2], n, "body", end, len - (size_t)(end - buf));
			save(argv[2], n, "head", buf, (size_t)(end - buf));
		}
		snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 0"
			 "\r\nConnection: close\r\n\r\n", status);
		if (write(c, resp, strlen(resp)) < 0)
			perror("httpsink: write");
		close(c);
	}
}
