/*
 * ip.h - IP address identifiers (RFC 8738): recognising an address
 * literal among the names, its one canonical text form (so that the names
 * asked for, the CA's identifiers and the certificate's SANs compare
 * equal), and the reverse name that tls-alpn-01 uses as SNI.
 *
 * Owns nothing; pure functions (no deps beyond libc).
 */
#ifndef CF_IP_H
#define CF_IP_H

#include <stddef.h>

/* Long enough for any canonical address text, with its NUL. */
#define CF_IP_TEXT_MAX 46

/* 1 when s is an IPv4 (dotted quad) or IPv6 literal, else 0.  canon (may
 * be NULL; CF_IP_TEXT_MAX bytes) receives its canonical text: dotted quad,
 * or RFC 5952 (lower case, longest zero run compressed). */
int cf_ip_canon(const char *s, char *canon);

/* The bytes of address s into addr: 4 (IPv4) or 16 (IPv6), 0 for
 * anything else (the iPAddress SAN of a CSR or validation certificate). */
int cf_ip_bytes(const char *s, unsigned char addr[16]);

/* 1 when s is a loopback address literal: 127.0.0.0/8 or ::1. */
int cf_ip_is_loopback(const char *s);

/* The reverse-mapping name of address s (RFC 8738 §6, the tls-alpn-01
 * SNI): "1.2.0.192.in-addr.arpa", or the 32 nibbles under "ip6.arpa".
 * 0 on success; -1 when s is no address or len is too small (74 bytes
 * always suffice). */
int cf_ip_reverse_name(const char *s, char *out, size_t len);

#endif
