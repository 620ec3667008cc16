#!/usr/bin/env bash
# renew --jobs 4 over 12 due certificates renews them all (one shared
# http-01 responder), and two concurrent renew runs never order the same
# certificate twice (per-name locks; the second run skips or finds it
# renewed).  "Due" is made by editing current.not_after in the definitions
# (and not_before) to
# tomorrow (89 days ago), as an old certificate would be.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab

make_due() {
	local f tomorrow ago
	tomorrow=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
	ago=$(date -u -d '-89 days' +%Y-%m-%dT%H:%M:%SZ)
	for f in "$STATE"/renewals/*.json; do
		jq --arg t "$tomorrow" --arg b "$ago" \
			'.current.not_after = $t | .current.not_before = $b' "$f" >"$f.tmp" &&
			mv "$f.tmp" "$f"
	done
}

ok=0
for i in $(seq 1 12); do
	if cf_run issue -d "j$i.jobs.test" --agree-tos "${H[@]}" >"$CF_TMP/issue.$i.log" 2>&1; then
		ok=$((ok + 1))
	else
		t_tail "$CF_TMP/issue.$i.log"
	fi
done
[ "$ok" = 12 ] && t_pass "12 certificates issued" || t_fail "12 certificates issued" "$ok"

make_due
o0=$(pebble_count_requests /order-plz)
t_check "renew --jobs 4" cf_run renew --jobs 4
grep -q '^renew: 12 renewed, 0 failed' "$T_OUT" && t_pass "all 12 renewed" ||
	t_fail "all 12 renewed" "$(tail -3 "$T_OUT")"
[ "$(($(pebble_count_requests /order-plz) - o0))" = 12 ] && t_pass "12 orders" ||
	t_fail "12 orders" "$(($(pebble_count_requests /order-plz) - o0))"
n_hist=$(jq -s '[.[] | select(.history[-1].action == "renew" and .history[-1].outcome == "ok")] | length' "$STATE"/renewals/*.json)
[ "$n_hist" = 12 ] && t_pass "12 histories updated" || t_fail "12 histories updated" "$n_hist"

# Two renew runs at once over the same 12 due certificates.
make_due
o1=$(pebble_count_requests /order-plz)
cf_run renew --jobs 3 >"$CF_TMP/r1.out" 2>"$CF_TMP/r1.err" &
p1=$!
cf_run renew --jobs 3 >"$CF_TMP/r2.out" 2>"$CF_TMP/r2.err" &
p2=$!
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
orders=$(($(pebble_count_requests /order-plz) - o1))
if [ "$orders" = 12 ]; then
	t_pass "two concurrent runs: 12 orders, none doubled"
else
	t_fail "two concurrent runs: 12 orders, none doubled" "$orders orders"
	sed 's/^/#   /' "$CF_TMP/r1.out" "$CF_TMP/r2.out"
fi
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] && t_pass "both runs exit 0" || t_fail "both runs exit 0" "$rc1 $rc2"
renewed=$(cat "$CF_TMP/r1.out" "$CF_TMP/r2.out" | grep -c ': renewed:')
[ "$renewed" = 12 ] && t_pass "each certificate renewed by exactly one run" ||
	t_fail "each certificate renewed by exactly one run" "$renewed"
t_done
