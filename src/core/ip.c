/* ip.c - see ip.h */
#include "core/ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* AF_INET or AF_INET6 with the address in addr, or 0. */
static int
ip_parse(const char *s, unsigned char addr[16])
{
	if (s == NULL)
		return 0;
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

int
cf_ip_bytes(const char *s, unsigned char addr[16])
{
	switch (ip_parse(s, addr)) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

int
cf_ip_is_loopback(const char *s)
{
	static const unsigned char v6[16] = { [15] = 1 };
	unsigned char addr[16];

	switch (cf_ip_bytes(s, addr)) {
	case 4:
		return addr[0] == 127;
	case 16:
		return memcmp(addr, v6, sizeof(v6)) == 0;
	default:
		return 0;
	}
}

int
cf_ip_canon(const char *s, char *canon)
{
	unsigned char addr[16];
	char buf[CF_IP_TEXT_MAX];
	int af = ip_parse(s, addr);

	if (af == 0)
		return 0;
	if (canon != NULL) {
		/* glibc's inet_ntop writes RFC 5952 form. */
		if (inet_ntop(af, addr, buf, sizeof(buf)) == NULL)
			return 0;
		memcpy(canon, buf, strlen(buf) + 1);
	}
	return 1;
}

int
cf_ip_reverse_name(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char addr[16];
	size_t pos = 0;
	int af = ip_parse(s, addr), n;

	if (af == AF_INET) {
		n = snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa", addr[3],
			     addr[2], addr[1], addr[0]);
		return n < 0 || (size_t)n >= len ? -1 : 0;
	}
	if (af != AF_INET6 || len < 32 * 2 + sizeof("ip6.arpa"))
		return -1;
	for (int i = 15; i >= 0; i--) {
		out[pos++] = hex[addr[i] & 0xf];
		out[pos++] = '.';
		out[pos++] = hex[addr[i] >> 4];
		out[pos++] = '.';
	}
	memcpy(out + pos, "ip6.arpa", sizeof("ip6.arpa"));
	return 0;
}
