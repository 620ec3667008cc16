#!/usr/bin/env bash
# The test harness itself: free ports, Pebble with EAB required, its DNS
# helper, its roots, nginx, request counting, and cleanup by PID.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
skip_unless_cmd pebble pebble-challtestsrv nginx kdig

ports=$(cf_freeports 10)
if [ "$(sort -u <<<"$ports" | grep -cE '^[0-9]+$')" -eq 10 ]; then
	t_pass "freeport: 10 distinct ports"
else
	t_fail "freeport: 10 distinct ports" "got: $(tr '\n' ' ' <<<"$ports")"
fi

t_pebble_start
# shellcheck disable=SC2016 # expanded by the inner sh
t_check "Pebble directory requires EAB" \
	sh -c 'curl -sSf --cacert "$PEBBLE_CA" "$PEBBLE_DIR_URL" | jq -e ".meta.externalAccountRequired == true"'
if [ "$(file_mode "$EAB_HMAC_FILE")" = 600 ] && [ "$(tr -d '\n' <"$EAB_HMAC_FILE")" = "$EAB_HMAC" ]; then
	t_pass "EAB HMAC file holds the key, mode 0600"
else
	t_fail "EAB HMAC file holds the key, mode 0600"
fi
t_check "Pebble log counts the directory request" \
	test "$(pebble_count_requests /dir)" -ge 1

dnsport=${PEBBLE_DNS##*:}
a=$(kdig @127.0.0.1 -p "$dnsport" +short any-name.example.test A 2>&1)
aaaa=$(kdig @127.0.0.1 -p "$dnsport" +short any-name.example.test AAAA 2>&1)
if [ "$a" = 127.0.0.1 ] && [ -z "$aaaa" ]; then
	t_pass "challtestsrv: any name is 127.0.0.1, no AAAA"
else
	t_fail "challtestsrv: any name is 127.0.0.1, no AAAA" "A=[$a] AAAA=[$aaaa]"
fi

if pebble_root_pem "$CF_TMP/root.pem" && pebble_intermediate_pem "$CF_TMP/int.pem"; then
	t_check "Pebble intermediate chains to its root" \
		openssl verify -CAfile "$CF_TMP/root.pem" "$CF_TMP/int.pem"
else
	t_fail "fetch Pebble root and intermediate"
fi

mkdir -p "$CF_TMP/www/.well-known/acme-challenge"
echo token-content >"$CF_TMP/www/.well-known/acme-challenge/tok"
if nginx_start "$CF_TMP/www" "$HTTP01_PORT" >"$CF_TMP/nginx.err" 2>&1; then
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_check "nginx serves the webroot for any Host" \
		sh -c 'curl -sSf -H "Host: x.example.test" "http://127.0.0.1:$HTTP01_PORT/.well-known/acme-challenge/tok" | grep -qx token-content'
else
	t_fail "nginx start"
	t_tail "$CF_TMP/nginx.err"
fi

# Cleanup: a child script starts Pebble and nginx, reports its PIDs and temp
# dir, and exits; afterwards none of them may remain.
cat >"$CF_TMP/child.sh" <<CHILD
. "$CF_ROOT/tests/integration/lib.sh"
pebble_start >/dev/null 2>&1 || exit 3
mkdir -p "\$CF_TMP/w"
nginx_start "\$CF_TMP/w" "\$HTTP01_PORT" >/dev/null 2>&1 || exit 4
echo "\$CF_TMP \${CF_PIDS[*]}"
CHILD
info=$(bash "$CF_TMP/child.sh")
rc=$?
read -r child_tmp child_pids <<<"$info"
alive=
for p in $child_pids; do
	kill -0 "$p" 2>/dev/null && alive="$alive $p"
done
if [ "$rc" -eq 0 ] && [ -n "$child_pids" ] && [ -z "$alive" ] && [ ! -e "$child_tmp" ]; then
	t_pass "cleanup stops the started processes and removes the temp dir"
else
	t_fail "cleanup stops the started processes and removes the temp dir" \
		"rc=$rc pids=[$child_pids] alive=[$alive] tmp=$child_tmp"
fi
t_done
