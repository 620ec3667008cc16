#!/usr/bin/env bash
# dns-01 and tls-alpn-01 end to end: Pebble validates, through unbound,
# against a real Knot DNS server that certferry updates over RFC 2136 with TSIG; a wildcard plus its
# apex in one certificate; CNAME delegation into a second zone; records gone
# afterwards; a wrong TSIG key fails cleanly; the script hook through
# pebble-challtestsrv's management interface; tls-alpn-01 on Pebble's
# tlsPort; a wildcard with http-01 is refused before any order.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/knot.sh
. "$(dirname "$0")/knot.sh"
require_cf
skip_unless_cmd knotd kdig unbound openssl curl

if ! knot_start || ! unbound_start; then
	t_fail "start knotd and unbound" "see above"
	t_done
fi
# Pebble validates through a recursive resolver, as a real CA does.
CF_PEBBLE_DNSSERVER=$UNBOUND_SERVER t_pebble_start

EAB=(--agree-tos --eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE")
RFC2136=(--validation dns-01 --dns rfc2136 --dns-server "$KNOT_SERVER"
	--dns-propagation-timeout 20)

# no_txt_left LABEL NAME: passes only when the lookup itself worked and
# found no TXT at NAME (a failed lookup is a failure, not "nothing left").
no_txt_left() {
	local label=$1 name=$2 txt rc
	txt=$(knot_no_txt "$name" 2>"$CF_TMP/knot_no_txt.err")
	rc=$?
	case $rc in
	0) t_pass "$label: no TXT left at $name" ;;
	1) t_fail "$label: no TXT left at $name" "served: $(tr '\n' ' ' <<<"$txt")" ;;
	*) t_fail "$label: no TXT left at $name" "lookup failed: $(cat "$CF_TMP/knot_no_txt.err")" ;;
	esac
}

# The check itself: it sees a record that is there, and a lookup that
# cannot be answered is not "no TXT".
knot_no_txt _acme-challenge.present.example.test >/dev/null 2>&1
t_rc_is "knot_no_txt: a TXT that is there is found" 1 $?
(KNOT_PORT=$(cf_freeports 1) && knot_no_txt _acme-challenge.example.test) >/dev/null 2>&1
t_rc_is "knot_no_txt: a lookup with no server is a failure" 2 $?

# ---- wildcard + apex in one certificate ----
t_check "dns-01 rfc2136: *.example.test + example.test" \
	cf_run issue -d example.test -d '*.example.test' --name wild \
	"${RFC2136[@]}" --tsig-key-file "$KNOT_KEY" "${EAB[@]}"
check_issued "wildcard" wild example.test '*.example.test'
no_txt_left "wildcard" _acme-challenge.example.test

# ---- a single name ----
serial_before=$(knot_serial example.test)
t_check "dns-01 rfc2136: www.example.test" \
	cf_run issue -d www.example.test "${RFC2136[@]}" --tsig-key-file "$KNOT_KEY"
# What the wrong-key case below relies on: an accepted update shows.
serial_after=$(knot_serial example.test)
if [ -n "$serial_before" ] && [ -n "$serial_after" ] &&
	[ "$serial_after" != "$serial_before" ]; then
	t_pass "single: the accepted updates raised the SOA serial"
else
	t_fail "single: the accepted updates raised the SOA serial" \
		"before [$serial_before] after [$serial_after]"
fi
check_issued "single" www.example.test www.example.test
no_txt_left "single" _acme-challenge.www.example.test

# ---- CNAME delegation into validation.test ----
t_check "dns-01 through a CNAME into a second zone" \
	cf_run -v issue -d sub.example.test "${RFC2136[@]}" --tsig-key-file "$KNOT_KEY"
if grep -q '_acme-challenge.sub.validation.test' "$T_ERR"; then
	t_pass "delegated: the record went to _acme-challenge.sub.validation.test"
else
	t_fail "delegated: the record went to _acme-challenge.sub.validation.test" \
		"$(grep -i acme-challenge "$T_ERR" | head -n 3)"
fi
check_issued "delegated" sub.example.test sub.example.test
no_txt_left "delegated" _acme-challenge.sub.validation.test

# ---- wrong TSIG key ----
# Had knotd accepted the wrong key, the record would have been added (and
# removed again): each accepted update raises the zone's SOA serial.
serial_before=$(knot_serial example.test)
# A key the server refuses is bad input (exit 2): the fix is in the key file.
t_expect_rc "wrong TSIG key fails (exit 2)" 2 \
	cf_run issue -d bad.example.test "${RFC2136[@]}" --tsig-key-file "$KNOT_WRONG_KEY"
if grep -q '^error:.*refused the update.*TSIG' "$T_ERR" &&
	! grep -qF "$KNOT_WRONG_SECRET" "$T_ERR" "$T_OUT"; then
	t_pass "wrong TSIG key: clear error, secret not shown"
else
	t_fail "wrong TSIG key: clear error, secret not shown" "$(head -c 300 "$T_ERR")"
fi
serial_after=$(knot_serial example.test)
if [ -n "$serial_before" ] && [ "$serial_before" = "$serial_after" ]; then
	t_pass "wrong key: the zone was not changed (SOA serial $serial_after)"
else
	t_fail "wrong key: the zone was not changed" \
		"SOA serial before [$serial_before] after [$serial_after]"
fi
no_txt_left "wrong key" _acme-challenge.bad.example.test
if [ ! -e "$(cf_certdir bad.example.test)" ]; then
	t_pass "wrong key: no certificate stored"
else
	t_fail "wrong key: no certificate stored"
fi

# ---- wildcard with http-01: refused before any order ----
before=$(pebble_count_requests /order-plz)
t_expect_rc "wildcard with http-01 is refused (exit 2)" 2 \
	cf_run issue -d '*.example.test' --http-port "$HTTP01_PORT" --http-address 127.0.0.1
if grep -q '^error:.*wildcard.*dns-01' "$T_ERR" &&
	[ "$(pebble_count_requests /order-plz)" -eq "$before" ]; then
	t_pass "wildcard with http-01: refused before any order"
else
	t_fail "wildcard with http-01: refused before any order" "$(head -c 300 "$T_ERR")"
fi

# ---- script hook, through pebble-challtestsrv (Pebble's default DNS) ----
pebble_stop
unset CF_PEBBLE_DNSSERVER
STATE="$CF_TMP/state-hook"
t_pebble_start
EAB=(--agree-tos --eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE")
HOOK="$CF_TMP/dns-hook.sh"
cat >"$HOOK" <<EOS
#!/bin/sh
# certferry dns-01 hook for the test: challtestsrv's management API.
echo "\$1 \$2 \$CERTFERRY_DNS_RECORD \$CERTFERRY_DNS_IDENTIFIER" >>"$CF_TMP/hook.log"
case "\$1" in
create) path=set-txt ;;
delete) path=clear-txt ;;
*) exit 2 ;;
esac
exec curl -sf -d "{\"host\":\"\$2\",\"value\":\"\$3\"}" "$CHALLTEST_MGMT_URL/\$path"
EOS
chmod 755 "$HOOK"
t_check "dns-01 through a script hook" \
	cf_run issue -d hook.example.test --validation dns-01 --dns script \
	--dns-script "$HOOK" --dns-resolver "$PEBBLE_DNS" \
	--dns-propagation-timeout 20 "${EAB[@]}"
check_issued "hook" hook.example.test hook.example.test
if grep -q '^create _acme-challenge.hook.example.test. _acme-challenge.hook.example.test. hook.example.test$' "$CF_TMP/hook.log" &&
	grep -q '^delete _acme-challenge.hook.example.test.' "$CF_TMP/hook.log"; then
	t_pass "hook: called with create and delete, record name and environment"
else
	t_fail "hook: called with create and delete" "$(cat "$CF_TMP/hook.log" 2>/dev/null)"
fi

# ---- tls-alpn-01 on Pebble's tlsPort ----
t_check "tls-alpn-01" \
	cf_run issue -d alpn.example.test --validation tls-alpn-01 \
	--tls-port "$TLSALPN_PORT" --tls-address 127.0.0.1
check_issued "tls-alpn-01" alpn.example.test alpn.example.test
t_done
