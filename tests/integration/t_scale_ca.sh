#!/usr/bin/env bash
# One CA is one place in a renew run: one directory GET per run however
# many certificates, a 429 with Retry-After seen by one job holds every
# job of that CA, and --per-ca N bounds the orders at once.  Through
# faultproxy (its log: one line per request, with the time it was read).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fp_lib.sh
. "$(dirname "$0")/fp_lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab

# The 4th newOrder (the first of the renew run) is rate limited for 5 s;
# every other newOrder is held 1.5 s, so that the other jobs' next
# requests come after the 429 (and, without sharing, during its 5 s).
cat >"$CF_TMP/rules.json" <<'EOF'
[{"match": {"method": "POST", "path": "^/order-plz$"}, "skip": 3, "times": 1,
  "action": {"status": 429, "retry_after": "5", "nonce": true}},
 {"match": {"method": "POST", "path": "^/order-plz$"}, "action": {"delay_ms": 1500}}]
EOF
fp_start "$CF_TMP/rules.json" || { t_fail "faultproxy starts"; t_done; }

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
for i in 1 2 3; do
	if fp_run issue -d "a$i.ca.test" --agree-tos "${H[@]}" >"$CF_TMP/issue.$i.log" 2>&1; then
		ok=$((ok + 1))
	else
		t_tail "$CF_TMP/issue.$i.log"
	fi
done
[ "$ok" = 3 ] && t_pass "3 certificates issued" || t_fail "3 certificates issued" "$ok"

# --- one directory GET per CA per run; one 429 holds every job
make_due
l0=$(wc -l <"$FP_LOG")
fp_run renew --jobs 3 --per-ca 3 >"$CF_TMP/r1.out" 2>"$CF_TMP/r1.err"
rc=$?
[ "$rc" = 0 ] && t_pass "renew --jobs 3 --per-ca 3 exits 0" ||
	{ t_fail "renew --jobs 3 --per-ca 3 exits 0" "$rc"; t_tail "$CF_TMP/r1.err"; }
grep -q '^renew: 3 renewed, 0 failed' "$CF_TMP/r1.out" && t_pass "all 3 renewed" ||
	t_fail "all 3 renewed" "$(tail -1 "$CF_TMP/r1.out")"
tail -n +"$((l0 + 1))" "$FP_LOG" >"$CF_TMP/run1.log"
ndir=$(grep -c ' GET /dir ' "$CF_TMP/run1.log")
[ "$ndir" = 1 ] && t_pass "one directory GET for 3 certificates" ||
	t_fail "one directory GET for 3 certificates" "$ndir"
fp_check_429_held "$CF_TMP/run1.log"

# --- --per-ca 1: orders of one CA one after another, even with 3 jobs
make_due
l0=$(wc -l <"$FP_LOG")
fp_run renew --jobs 3 --per-ca 1 >"$CF_TMP/r2.out" 2>"$CF_TMP/r2.err"
rc=$?
[ "$rc" = 0 ] && grep -q '^renew: 3 renewed' "$CF_TMP/r2.out" &&
	t_pass "renew --jobs 3 --per-ca 1 renews all 3" ||
	{ t_fail "renew --jobs 3 --per-ca 1 renews all 3" "$rc"; t_tail "$CF_TMP/r2.err"; }
seq=$(tail -n +"$((l0 + 1))" "$FP_LOG" |
	awk '$3 == "/order-plz" { printf "O" } $3 ~ /^\/certZ\// { printf "C" }')
[ "$seq" = "OCOCOC" ] && t_pass "--per-ca 1: each order done before the next starts" ||
	t_fail "--per-ca 1: each order done before the next starts" "$seq"
t_done
