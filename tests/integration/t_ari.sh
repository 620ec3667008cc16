#!/usr/bin/env bash
# ACME Renewal Information (RFC 9773) through faultproxy --ari (Pebble 2.4.0
# has none): a window in the future is not due and its Retry-After is
# honoured; a window in the past is due and the order carries "replaces";
# a CA that rejects "replaces" gets the order again without it; a failing
# renewalInfo endpoint never blocks a renewal.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fp_lib.sh
. "$(dirname "$0")/fp_lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab
CTL="$CF_TMP/ari.json"
N=ari.renew.test
DEF="$STATE/renewals/$N.json"

# The second newOrder carrying "replaces" is rejected with 400.
cat >"$CF_TMP/rules.json" <<'JSON'
[{"match": {"method": "POST", "path": "^/order-plz$"}, "skip": 1,
  "action": {"reject_replaces": true}}]
JSON
echo '{"window_start_offset_s": 2592000, "window_end_offset_s": 2678400, "retry_after": 21600}' >"$CTL"
fp_start "$CF_TMP/rules.json" --ari --ari-control "$CTL" || { t_fail "faultproxy start"; t_done; }
ari_gets() { grep -c ' GET /renewal-info/' "$FP_LOG" || true; }
serial() { jq -r .current.serial "$DEF"; }
forget_ari_check() { jq '.ari.next_check = null' "$DEF" >"$DEF.tmp" && mv "$DEF.tmp" "$DEF"; }

t_check "issue through the ARI proxy" fp_run issue -d "$N" --agree-tos "${H[@]}"
[ "$(jq -r .current.ari_cert_id "$DEF")" != null ] && t_pass "ARI CertID recorded" ||
	t_fail "ARI CertID recorded" "$(jq -c .current "$DEF")"

t_check "renew: window in 30 days" fp_run renew
grep -q "^$N: not-due: renewal information from the CA" "$T_OUT" && t_pass "not due by ARI" ||
	t_fail "not due by ARI" "$(cat "$T_OUT")"
[ "$(ari_gets)" = 1 ] && t_pass "renewalInfo asked once" || t_fail "renewalInfo asked once" "$(ari_gets)"
sel=$(jq -r .ari.selected "$DEF")
ws=$(date -u -d '+29 days' +%s); we=$(date -u -d '+32 days' +%s)
s=$(date -u -d "$sel" +%s 2>/dev/null || echo 0)
[ "$s" -ge "$ws" ] && [ "$s" -le "$we" ] && t_pass "selected time inside the window" ||
	t_fail "selected time inside the window" "$sel"
t_check "renew again" fp_run renew
[ "$(ari_gets)" = 1 ] && t_pass "Retry-After honoured: not asked again" ||
	t_fail "Retry-After honoured: not asked again" "$(ari_gets)"

echo '{"window_start_offset_s": -3600, "window_end_offset_s": -60, "retry_after": 60}' >"$CTL"
forget_ari_check
s0=$(serial)
t_check "renew: window in the past" fp_run renew
grep -q "^$N: renewed" "$T_OUT" && [ "$(serial)" != "$s0" ] && t_pass "renewed by ARI" ||
	t_fail "renewed by ARI" "$(cat "$T_OUT")"
grep -q ' POST /order-plz 201 .*replaces' "$FP_LOG" && t_pass "newOrder carried replaces" ||
	t_fail "newOrder carried replaces" "$(grep order-plz "$FP_LOG")"

forget_ari_check
s0=$(serial)
t_check "renew: the CA rejects replaces" fp_run renew
if grep -q "^$N: renewed.*refused \"replaces\"" "$T_OUT" && [ "$(serial)" != "$s0" ] &&
	grep -q ' POST /order-plz 400 rule:0 .*replaces' "$FP_LOG"; then
	t_pass "ordered again without replaces"
else
	t_fail "ordered again without replaces" "$(cat "$T_OUT"; grep order-plz "$FP_LOG")"
fi

echo '{"status": 500}' >"$CTL"
forget_ari_check
s0=$(serial)
t_check "renew: renewalInfo fails (500), lifetime rule forced" fp_run renew --renew-before 3000
grep -q "^$N: renewed" "$T_OUT" && [ "$(serial)" != "$s0" ] && grep -q 'renewal information unavailable' "$T_ERR" &&
	t_pass "an ARI failure does not block the renewal" ||
	t_fail "an ARI failure does not block the renewal" "$(cat "$T_OUT" "$T_ERR")"
t_done
