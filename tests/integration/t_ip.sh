#!/usr/bin/env bash
# IP address identifiers (RFC 8738) against Pebble: -d 127.0.0.1 / -d ::1
# are ordered as type "ip", validated with http-01 and tls-alpn-01 (SNI the
# reverse name), and the certificate's SANs are IP addresses; dns-01 for
# an address is refused before anything is ordered.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC

ip_sans() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
		tr ',' '\n' | sed -n 's/^ *IP Address://p' | sort
}
orders() { pebble_count_requests /order-plz; }

t_check "issue -d 127.0.0.1 (http-01)" cf_run issue -d 127.0.0.1 --agree-tos \
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1
C=$(cf_certdir 127.0.0.1)/cert.pem
[ "$(ip_sans "$C")" = 127.0.0.1 ] && t_pass "SAN is IP Address:127.0.0.1" ||
	t_fail "SAN is IP Address:127.0.0.1" "$(openssl x509 -in "$C" -noout -ext subjectAltName 2>&1)"
[ -f "$C" ] && ! openssl x509 -in "$C" -noout -ext subjectAltName | grep -q DNS: &&
	t_pass "no DNS SAN for an address" || t_fail "no DNS SAN for an address"

t_check "issue -d 127.0.0.1 -d a DNS name, tls-alpn-01 (reverse-name SNI)" \
	cf_run issue -d 127.0.0.1 -d ip.mixed.test --name mixed --agree-tos \
	--validation tls-alpn-01 --tls-port "$TLSALPN_PORT" --tls-address 127.0.0.1
C=$(cf_certdir mixed)/cert.pem
[ "$(ip_sans "$C")" = 127.0.0.1 ] && cert_sans "$C" | grep -qx ip.mixed.test &&
	t_pass "SANs: IP 127.0.0.1 and DNS ip.mixed.test" ||
	t_fail "SANs: IP 127.0.0.1 and DNS ip.mixed.test" "$(openssl x509 -in "$C" -noout -ext subjectAltName 2>&1)"

if [ -e /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
	t_check "issue -d ::1 (http-01 on [::1])" cf_run issue -d 0:0::1 --agree-tos \
		--http-port "$HTTP01_PORT" --http-address ::1
	C=$(cf_certdir __1)/cert.pem
	[ "$(ip_sans "$C")" = 0:0:0:0:0:0:0:1 ] || [ "$(ip_sans "$C")" = ::1 ] &&
		t_pass "SAN is IP Address ::1 (state name __1)" ||
		t_fail "SAN is IP Address ::1 (state name __1)" "$(ls "$STATE/certs")"
else
	t_skip "issue -d ::1" "no IPv6 loopback here"
fi

n0=$(orders)
t_run cf_run issue -d 192.0.2.1 --agree-tos --validation dns-01 --dns manual
[ "$T_RC" = 2 ] && grep -q 'cannot be validated with dns-01 (RFC 8738)' "$T_ERR" && [ "$(orders)" = "$n0" ] &&
	t_pass "dns-01 for an address refused before ordering" ||
	t_fail "dns-01 for an address refused before ordering" "rc=$T_RC $(cat "$T_ERR")"
t_done
