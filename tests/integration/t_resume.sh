#!/usr/bin/env bash
# Resumable orders: when the wait budget ends while the CA is still
# "processing" after finalize (faultproxy fakes a slow CA: the finalize
# answer and the next poll say "processing"), certferry exits 3, keeps the
# order (STATE/orders/NAME.json + NAME.key 0600), and the next issue - or
# renew - completes that same order: no second newOrder at Pebble.  The same
# when the process is killed after it saved the order and sent finalize.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fp_lib.sh
. "$(dirname "$0")/fp_lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab

cat >"$CF_TMP/rules.json" <<'JSON'
[{"match": {"method": "POST", "path": "^/finalize-order/"},
  "action": {"fake_processing": true, "retry_after": "30"}},
 {"match": {"method": "POST", "path": "^/my-order/"},
  "armed_by": {"method": "POST", "path": "^/finalize-order/"},
  "times": 1, "action": {"fake_processing": true, "retry_after": "30"}}]
JSON
fp_start "$CF_TMP/rules.json" || { t_fail "faultproxy start"; t_done; }

resume_case() {
	local label=$1 name=$2 o0
	shift 2
	o0=$(pebble_count_requests /order-plz)
	t_run fp_run issue -d "$name" --agree-tos "${H[@]}" --wait 5
	if [ "$T_RC" = 3 ] && grep -q 'still in progress' "$T_ERR"; then
		t_pass "$label: exit status 3 (pending at the CA)"
	else
		t_fail "$label: exit status 3 (pending at the CA)"
		t_show_output issue --wait 5
	fi
	if [ -s "$STATE/orders/$name.json" ] && [ "$(file_mode "$STATE/orders/$name.key")" = 600 ] &&
		[ "$(jq -r .csr "$STATE/orders/$name.json")" != null ] &&
		! grep -q PRIVATE "$STATE/orders/$name.json"; then
		t_pass "$label: order saved (URL, CSR; key 0600 apart)"
	else
		t_fail "$label: order saved (URL, CSR; key 0600 apart)"
	fi
	[ "$(jq -r '.history[-1].outcome' "$STATE/renewals/$name.json")" = pending ] &&
		t_pass "$label: definition records the pending order" ||
		t_fail "$label: definition records the pending order"
	t_check "$label: next run ($*)" "$@"
	cp "$T_OUT" "$CF_TMP/next.out"
	if [ "$(($(pebble_count_requests /order-plz) - o0))" = 1 ]; then
		t_pass "$label: one newOrder in all"
	else
		t_fail "$label: one newOrder in all" "$(($(pebble_count_requests /order-plz) - o0))"
	fi
	[ ! -e "$STATE/orders/$name.json" ] && [ ! -e "$STATE/orders/$name.key" ] &&
		t_pass "$label: saved order removed" || t_fail "$label: saved order removed"
	check_issued "$label" "$name" "$name"
}

resume_case "issue resumes" p1.resume.test fp_run issue -d p1.resume.test "${H[@]}"
grep -q 'completed the saved order' "$CF_TMP/next.out" && t_pass "issue says it resumed" ||
	t_fail "issue says it resumed" "$(cat "$T_OUT")"
# The CA asked for 30 s: renew waits for that (--force skips the wait).
resume_case "renew resumes" p2.resume.test fp_run renew --force --name p2.resume.test
grep -q 'completed the saved order' "$CF_TMP/next.out" && t_pass "renew says it resumed" ||
	t_fail "renew says it resumed" "$(cat "$CF_TMP/next.out")"

# ---- the process killed right after it saved the order and sent finalize
# (the proxy holds that finalize): the next issue completes the same order.
cat >"$CF_TMP/rules-kill.json" <<'JSON'
[{"match": {"method": "POST", "path": "^/finalize-order/"}, "times": 1,
  "action": {"delay_ms": 20000}}]
JSON
fp_start "$CF_TMP/rules-kill.json" || { t_fail "faultproxy start (kill)"; t_done; }
name=k1.resume.test
o0=$(pebble_count_requests /order-plz)
# (the command itself, not the fp_run function, so that $! is certferry)
"$CF" --state-dir "$STATE" --server "$FP_DIR_URL" --ca-bundle "$PEBBLE_CA" \
	issue -d "$name" --agree-tos "${H[@]}" >"$CF_TMP/kill.out" 2>&1 &
victim=$!
for _ in $(seq 1 100); do
	[ -e "$STATE/orders/$name.key" ] && break
	sleep 0.1
done
sleep 0.5
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
if [ -s "$STATE/orders/$name.json" ] && [ -s "$STATE/orders/$name.key" ]; then
	t_pass "killed: the order and its key were saved before finalize"
else
	t_fail "killed: the order and its key were saved before finalize" "$(cat "$CF_TMP/kill.out")"
fi
t_check "killed: the next issue completes it" fp_run issue -d "$name" "${H[@]}"
if [ "$(($(pebble_count_requests /order-plz) - o0))" = 1 ]; then
	t_pass "killed: one newOrder in all"
else
	t_fail "killed: one newOrder in all" "$(($(pebble_count_requests /order-plz) - o0))"
fi
check_issued "killed" "$name" "$name"
t_done
