#!/usr/bin/env bash
# Every documented exit status (docs/certferry.1, EXIT STATUS; src/cli/cli.h
# enum cf_exit), asserted exactly: 2 for each kind of bad input (unknown
# option or command, bad value, missing input file, bad settings file;
# --renew-before out of its one range of days in issue, renew and settings) with
# nothing issued or registered; 1 for a failure (no CA at the URL); 4 while
# the test holds the certificate's lock (STATE/locks/NAME.lock, flock) as
# another certferry run would; 0 again once it is released.  3 (pending at
# the CA) is asserted by t_resume.sh (issue and renew resume a saved order)
# and t_hostile.sh (--wait budget spent).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd flock openssl curl jq

# nothing_stored LABEL: a refused command registered and stored nothing.
nothing_stored() {
	local d found=
	for d in accounts certs renewals orders archive; do
		if [ -d "$STATE/$d" ] && [ -n "$(ls -A "$STATE/$d")" ]; then
			found="$found $d"
		fi
	done
	if [ -z "$found" ]; then
		t_pass "$1: nothing stored"
	else
		t_fail "$1: nothing stored" "found in$found"
	fi
	rm -rf "$STATE"
}

# ---- 2: bad input, nothing changed ----
DOWN="https://127.0.0.1:$(cf_freeports 1)/dir"
bad() {
	local label=$1
	shift
	t_expect_rc "exit 2: $label" 2 \
		"$CF" --state-dir "$STATE" --server "$DOWN" "$@"
	if grep -qE '^(error: |.*: (unrecognized|invalid|unknown) option)' "$T_ERR"; then
		t_pass "exit 2: $label: says what is wrong"
	else
		t_fail "exit 2: $label: says what is wrong" "$(head -c 300 "$T_ERR")"
	fi
	nothing_stored "exit 2: $label"
}
bad "unknown option" --no-such-option
bad "unknown issue option" issue -d x.exit.test --no-such-option
bad "unknown command" frobnicate
bad "bad value (--key-type)" issue -d x.exit.test --key-type ec999
bad "bad value (--renew-before)" issue -d x.exit.test --renew-before soon
bad "missing --eab-hmac-key-file" issue -d x.exit.test --agree-tos \
	--eab-kid kid-1 --eab-hmac-key-file "$CF_TMP/no-such-hmac"
bad "missing --ca-bundle" --ca-bundle "$CF_TMP/no-such-ca.pem" issue -d x.exit.test
printf '[global]\nno-such-setting = 1\n' >"$CF_TMP/bad.conf"
CERTFERRY_CONFIG="$CF_TMP/bad.conf" bad "bad settings file" list
CERTFERRY_CONFIG="$CF_TMP/no-such.conf" bad "missing settings file" list

# --renew-before: whole days, 1 to 36500, alike in issue, renew and the
# settings file (issue and the settings file once took 0 to 604800).
for rb in 0 36501 604800; do
	bad "issue --renew-before $rb" issue -d x.exit.test --renew-before "$rb"
	grep -q "^error: bad --renew-before '$rb': give a whole number from 1 to 36500$" "$T_ERR" &&
		t_pass "issue --renew-before $rb: the range is 1 to 36500 days" ||
		t_fail "issue --renew-before $rb: the range is 1 to 36500 days" "$(cat "$T_ERR")"
	bad "renew --renew-before $rb" renew --renew-before "$rb"
	grep -q "^error: bad --renew-before '$rb': give a whole number from 1 to 36500$" "$T_ERR" &&
		t_pass "renew --renew-before $rb: the range is 1 to 36500 days" ||
		t_fail "renew --renew-before $rb: the range is 1 to 36500 days" "$(cat "$T_ERR")"
done
printf '[issue]\nrenew-before = 604800\n' >"$CF_TMP/rb.conf"
CERTFERRY_CONFIG="$CF_TMP/rb.conf" bad "settings renew-before 604800" config check
grep -q "bad renew-before '604800': give a whole number from 1 to 36500" "$T_ERR" &&
	t_pass "settings renew-before: the range is 1 to 36500 days" ||
	t_fail "settings renew-before: the range is 1 to 36500 days" "$(cat "$T_ERR")"

# ---- 1: a failure: no CA at the URL ----
t_expect_rc "exit 1: no CA at the --server URL" 1 \
	"$CF" --state-dir "$STATE" --server "$DOWN" issue -d x.exit.test \
	--agree-tos --http-port "$(cf_freeports 1)" --http-address 127.0.0.1
grep -q '^error: ' "$T_ERR" && t_pass "exit 1: one error line" ||
	t_fail "exit 1: one error line" "$(head -c 300 "$T_ERR")"
rm -rf "$STATE"

# ---- 4: another run holds the certificate's lock ----
t_pebble_start
N=locked.exit.test
H=(--http-port "$HTTP01_PORT" --http-address 127.0.0.1)
t_check "issue $N" cf_run issue -d "$N" --agree-tos --eab-kid "$EAB_KID" \
	--eab-hmac-key-file "$EAB_HMAC_FILE" "${H[@]}"
# renew-before is recorded in days, as given (and read back by renew).
t_check "issue --renew-before 36500 (days)" cf_run issue -d days.exit.test \
	--renew-before 36500 "${H[@]}"
if [ "$(jq -r .spec.renew_before_days "$STATE/renewals/days.exit.test.json")" = 36500 ]; then
	t_pass "renew_before_days recorded as 36500"
else
	t_fail "renew_before_days recorded as 36500" \
		"$(jq -c .spec "$STATE/renewals/days.exit.test.json" 2>&1)"
fi
t_check "renew --dry-run --name days.exit.test" cf_run renew --dry-run --name days.exit.test
grep -q '36500 days before expiry' "$T_OUT" &&
	t_pass "renew: due by its --renew-before 36500 days" ||
	t_fail "renew: due by its --renew-before 36500 days" "$(cat "$T_OUT")"
LOCK="$STATE/locks/$N.lock"
if [ -f "$LOCK" ]; then
	t_pass "the lock file is $LOCK"
else
	t_fail "the lock file is $LOCK" "$(ls -A "$STATE/locks" 2>&1 | tr '\n' ' ')"
fi
serial=$(openssl x509 -in "$(cf_certdir "$N")/cert.pem" -noout -serial)
# fd 9 holds the lock as a concurrent certferry run would (flock(2) on its
# own open file: certferry's open of the same path conflicts with it).
exec 9>>"$LOCK"
if flock -n 9; then
	t_expect_rc "exit 4: issue --force while the lock is held" 4 \
		cf_run issue -d "$N" --force "${H[@]}"
	grep -q "^error: .*$N.*locked by another certferry run" "$T_ERR" &&
		t_pass "exit 4: the error names the certificate" ||
		t_fail "exit 4: the error names the certificate" "$(head -c 300 "$T_ERR")"
	t_expect_rc "exit 4: revoke while the lock is held" 4 cf_run revoke "$N" --yes
	t_expect_rc "exit 4: cancel while the lock is held" 4 cf_run cancel "$N"
	# renew goes on with the other certificates: a locked one is counted
	# as "locked" and skipped, not an error of the run.
	t_expect_rc "renew --force while the lock is held: skipped (exit 0)" 0 \
		cf_run renew --force --name "$N"
	grep -q ' 1 locked' "$T_OUT" && t_pass "renew: reports 1 locked" ||
		t_fail "renew: reports 1 locked" "$(tail -n 2 "$T_OUT")"
	if [ "$(openssl x509 -in "$(cf_certdir "$N")/cert.pem" -noout -serial)" = "$serial" ]; then
		t_pass "locked: the certificate was not replaced"
	else
		t_fail "locked: the certificate was not replaced"
	fi
	flock -u 9
else
	t_fail "the test takes $LOCK" "flock -n failed"
fi
exec 9>&-
t_expect_rc "exit 0: issue --force once the lock is released" 0 \
	cf_run issue -d "$N" --force "${H[@]}"
t_done
