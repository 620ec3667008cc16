#!/usr/bin/env bash
# certferry renew: issue three certificates, make one due (its definition
# says --renew-before 3000 days; Pebble's certificates live ~5 years), and
# check that renew renews exactly that one: new serial, files swapped,
# history updated; --dry-run changes nothing; a failing renewal backs off
# without stopping the others; list/show/cancel.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab

t_check "issue a" cf_run issue -d a.renew.test --agree-tos "${H[@]}"
t_check "issue b" cf_run issue -d b.renew.test "${H[@]}"
t_check "issue c (--renew-before 3000)" cf_run issue -d c.renew.test \
	--renew-before 3000 "${H[@]}"
def() { echo "$STATE/renewals/$1.json"; }
serial_of() { openssl x509 -in "$STATE/certs/$1/cert.pem" -noout -serial | cut -d= -f2; }
for n in a b c; do
	f=$(def "$n.renew.test")
	if [ -f "$f" ] && [ "$(jq -r .version "$f")" = 1 ] &&
		[ "$(jq -r .state "$f")" = active ] &&
		[ "$(jq -r '.spec.names[0]' "$f")" = "$n.renew.test" ] &&
		[ "$(jq -r '.history | length' "$f")" = 1 ] &&
		[ "$(jq -r '.current.serial' "$f")" != null ]; then
		t_pass "$n: renewal definition recorded"
	else
		t_fail "$n: renewal definition recorded" "$(cat "$f" 2>&1 | head -20)"
	fi
done
if grep -lq "PRIVATE\|hmac\|$EAB_HMAC" "$STATE"/renewals/*.json; then
	t_fail "no secret in the definitions"
else
	t_pass "no secret in the definitions"
fi
sa=$(serial_of a.renew.test) sb=$(serial_of b.renew.test) sc=$(serial_of c.renew.test)
gen_c=$(readlink "$STATE/certs/c.renew.test")

orders0=$(pebble_count_requests /order-plz)
t_check "renew --dry-run" cf_run renew --dry-run
if grep -q '^c.renew.test: due' "$T_OUT" && grep -q '^a.renew.test: not-due' "$T_OUT"; then
	t_pass "dry run reports what is due and why"
else
	t_fail "dry run reports what is due and why" "$(cat "$T_OUT")"
fi
if [ "$(pebble_count_requests /order-plz)" = "$orders0" ] && [ "$(serial_of c.renew.test)" = "$sc" ]; then
	t_pass "dry run changed nothing"
else
	t_fail "dry run changed nothing"
fi

t_check "renew" cf_run renew
grep -q '1 renewed, 0 failed' "$T_OUT" && t_pass "renew reports one renewed" ||
	t_fail "renew reports one renewed" "$(cat "$T_OUT")"
orders1=$(pebble_count_requests /order-plz)
[ "$((orders1 - orders0))" = 1 ] && t_pass "exactly one new order" ||
	t_fail "exactly one new order" "$((orders1 - orders0)) orders"
[ "$(serial_of c.renew.test)" != "$sc" ] && t_pass "c has a new serial" || t_fail "c has a new serial"
[ "$(serial_of a.renew.test)" = "$sa" ] && [ "$(serial_of b.renew.test)" = "$sb" ] &&
	t_pass "a and b untouched" || t_fail "a and b untouched"
[ "$(readlink "$STATE/certs/c.renew.test")" != "$gen_c" ] &&
	t_pass "c: new generation swapped in" || t_fail "c: new generation swapped in"
check_issued "renewed c" c.renew.test c.renew.test
f=$(def c.renew.test)
if [ "$(jq -r '.history | length' "$f")" = 2 ] &&
	[ "$(jq -r '.history[1].action + " " + .history[1].outcome' "$f")" = "renew ok" ] &&
	[ "$(jq -r '.current.serial' "$f")" = "$(serial_of c.renew.test | tr 'A-F' 'a-f' | sed 's/^0*//')" ]; then
	t_pass "c: history and current updated"
else
	t_fail "c: history and current updated" "$(jq -c '{current,history}' "$f")"
fi

# --name, --force
t_check "renew --name a --force" cf_run renew --name a.renew.test --force
[ "$(serial_of a.renew.test)" != "$sa" ] && [ "$(serial_of b.renew.test)" = "$sb" ] &&
	t_pass "--name --force renews only that one" || t_fail "--name --force renews only that one"
t_expect_rc "renew --name unknown is bad input (exit 2)" 2 cf_run renew --name nope.renew.test

# A failing renewal (nothing answers on its http-01 port) fails alone,
# with exit status 1, and backs off on the next run.
badport=$(cf_freeports 1)
while [ "$badport" = "$HTTP01_PORT" ]; do badport=$(cf_freeports 1); done
jq --argjson p "$badport" '.spec.validation.http_port = $p' "$(def b.renew.test)" >"$CF_TMP/b.json" &&
	cp "$CF_TMP/b.json" "$(def b.renew.test)"
t_run cf_run renew --force --wait 20
if [ "$T_RC" = 1 ] && grep -q '^b.renew.test: failed' "$T_OUT" &&
	grep -q '^c.renew.test: renewed' "$T_OUT" && grep -q '^error: b.renew.test:' "$T_ERR"; then
	t_pass "one failure does not stop the others; exit status 1"
else
	t_fail "one failure does not stop the others; exit status 1"
	t_show_output renew --force
fi
f=$(def b.renew.test)
[ "$(jq -r .failures "$f")" = 1 ] && [ "$(jq -r .retry_not_before "$f")" != null ] &&
	[ "$(jq -r '.history[-1].outcome' "$f")" = failed ] &&
	t_pass "failure recorded with backoff" || t_fail "failure recorded with backoff" "$(jq -c . "$f")"
t_check "renew (b backing off)" cf_run renew --name b.renew.test --renew-before 3000
grep -q 'backing off after 1 failed attempt' "$T_OUT" && t_pass "backoff honoured" ||
	t_fail "backoff honoured" "$(cat "$T_OUT")"

# list / show / cancel
t_check "list" cf_run list
grep -q '^c.renew.test .*active' "$T_OUT" && t_pass "list shows c" || t_fail "list shows c" "$(cat "$T_OUT")"
t_check "list --json" cf_run list --json
[ "$(jq -r 'length' "$T_OUT")" = 3 ] && [ "$(jq -r '.[0].identifiers[0]' "$T_OUT")" = a.renew.test ] &&
	[ "$(jq -r '.[0].days_left' "$T_OUT")" -gt 1000 ] &&
	t_pass "list --json" || t_fail "list --json" "$(head -c 600 "$T_OUT")"
t_check "show c" cf_run show c.renew.test
grep -q '"version": 1' "$T_OUT" && t_pass "show prints the definition" || t_fail "show prints the definition"
t_check "cancel c" cf_run cancel c.renew.test
o2=$(pebble_count_requests /order-plz)
t_check "renew after cancel" cf_run renew --name c.renew.test --force
[ "$(pebble_count_requests /order-plz)" = "$o2" ] && grep -q 'inactive: cancelled' "$T_OUT" &&
	t_pass "a cancelled certificate is not renewed" || t_fail "a cancelled certificate is not renewed" "$(cat "$T_OUT")"
[ -f "$STATE/certs/c.renew.test/cert.pem" ] && t_pass "cancel keeps the files" || t_fail "cancel keeps the files"
t_check "cancel --delete" cf_run cancel c.renew.test --delete
[ ! -e "$(def c.renew.test)" ] && [ ! -e "$STATE/certs/c.renew.test" ] &&
	t_pass "cancel --delete removes definition and files" || t_fail "cancel --delete removes definition and files"
t_done
