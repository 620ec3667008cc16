#!/usr/bin/env bash
# certferry revoke: signed by the account key, or (keyCompromise) by the
# certificate's own key; confirmed through Pebble's management interface
# (GET /cert-status-by-serial/<hex>); the renewal stops.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab

serial_of() { openssl x509 -in "$STATE/certs/$1/cert.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'; }
status_of() {
	curl -sf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT_URL/cert-status-by-serial/$1" | jq -r .Status
}

t_check "issue r1" cf_run issue -d r1.revoke.test --agree-tos "${H[@]}"
t_check "issue r2" cf_run issue -d r2.revoke.test "${H[@]}"
s1=$(serial_of r1.revoke.test)
s2=$(serial_of r2.revoke.test)
[ "$(status_of "$s1")" = Valid ] && t_pass "Pebble: r1 valid before" || t_fail "Pebble: r1 valid before" "$(status_of "$s1")"
t_expect_rc "bad --reason (exit 2)" 2 cf_run revoke r1.revoke.test --reason bogus
t_check "revoke r1 (account key, superseded)" cf_run revoke r1.revoke.test --reason superseded --yes
[ "$(status_of "$s1")" = Revoked ] && t_pass "Pebble: r1 revoked" || t_fail "Pebble: r1 revoked" "$(status_of "$s1")"
f="$STATE/renewals/r1.revoke.test.json"
[ "$(jq -r .state "$f")" = revoked ] && [ "$(jq -r '.history[-1].action' "$f")" = revoke ] &&
	t_pass "r1 marked revoked" || t_fail "r1 marked revoked" "$(jq -c . "$f")"
o=$(pebble_count_requests /order-plz)
t_check "renew --force after revoke" cf_run renew --force --name r1.revoke.test
[ "$(pebble_count_requests /order-plz)" = "$o" ] && t_pass "a revoked certificate is not renewed" ||
	t_fail "a revoked certificate is not renewed"
t_check "revoke r2 with its own key (keyCompromise)" cf_run revoke r2.revoke.test --yes \
	--reason keyCompromise --with-cert-key
[ "$(status_of "$s2")" = Revoked ] && t_pass "Pebble: r2 revoked" || t_fail "Pebble: r2 revoked" "$(status_of "$s2")"
[ "$(pebble_count_requests /revoke-cert)" = 2 ] && t_pass "two revokeCert requests" ||
	t_fail "two revokeCert requests" "$(pebble_count_requests /revoke-cert)"
t_done
