#!/usr/bin/env bash
# With PEBBLE_AUTHZREUSE=100 Pebble hands back the valid authorizations of the
# first order, so a second order for the same names needs no challenge: the
# second issue points --webroot at a folder nothing serves, so any challenge
# would fail.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
skip_unless_cmd nginx
require_cf
t_pebble_start PEBBLE_AUTHZREUSE=100

WEBROOT="$CF_TMP/www"
UNSERVED="$CF_TMP/not-served"
mkdir -p "$WEBROOT" "$UNSERVED"
if ! nginx_start "$WEBROOT" "$HTTP01_PORT" >"$CF_TMP/nginx_start.err" 2>&1; then
	t_fail "nginx start"
	t_tail "$CF_TMP/nginx_start.err"
	t_done
fi
names=(reuse.example.test www.reuse.example.test)
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC

t_check "first order (webroot)" cf_run issue -d "${names[0]}" -d "${names[1]}" \
	--agree-tos --webroot "$WEBROOT"
chal_before=$(pebble_count_requests /chalZ/)
t_check "second order for the same names, no challenge reachable" \
	cf_run issue -d "${names[0]}" -d "${names[1]}" --name reuse-2 \
	--webroot "$UNSERVED"
check_issued "second order" reuse-2 "${names[@]}"
chal_after=$(pebble_count_requests /chalZ/)
if [ "$chal_after" -eq "$chal_before" ]; then
	t_pass "no challenge was answered for the second order"
else
	t_fail "no challenge was answered for the second order" \
		"$((chal_after - chal_before)) challenge requests"
fi
t_done
