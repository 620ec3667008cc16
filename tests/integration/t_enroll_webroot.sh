#!/usr/bin/env bash
# Twelve names in one order, validated via webroot served by a real nginx.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
skip_unless_cmd nginx
require_cf
t_pebble_start

WEBROOT="$CF_TMP/www"
mkdir -p "$WEBROOT"
echo "certferry test site" >"$WEBROOT/index.html"
if ! nginx_start "$WEBROOT" "$HTTP01_PORT" >"$CF_TMP/nginx_start.err" 2>&1; then
	t_fail "nginx start"
	t_tail "$CF_TMP/nginx_start.err"
	t_done
fi

names=(web.example.test www.web.example.test)
for i in $(seq 1 10); do
	names+=("n$i.web.example.test")
done
args=()
for n in "${names[@]}"; do
	args+=(-d "$n")
done

t_check "issue 12 names via webroot" cf_run issue "${args[@]}" \
	--webroot "$WEBROOT" --agree-tos --eab-kid "$EAB_KID" \
	--eab-hmac-key-file "$EAB_HMAC_FILE"
check_issued "webroot" "${names[0]}" "${names[@]}"

hits=$(grep -c 'GET /.well-known/acme-challenge/[^ ]* HTTP/[0-9.]*" 200' "$NGINX_DIR/access.log" || true)
if [ "${hits:-0}" -ge 12 ]; then
	t_pass "nginx served the challenges ($hits hits)"
else
	t_fail "nginx served the challenges" "$hits successful challenge requests in the access log"
	t_tail "$NGINX_DIR/access.log"
fi

left=$(find "$WEBROOT/.well-known/acme-challenge" -type f 2>/dev/null | wc -l)
if [ "$left" -eq 0 ]; then
	t_pass "no challenge files left in the webroot"
else
	t_fail "no challenge files left in the webroot" "$left files left"
fi
t_done
