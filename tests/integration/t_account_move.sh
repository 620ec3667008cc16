#!/usr/bin/env bash
# Moving an account to another server (Pebble requires EAB, as Sectigo
# does): `account export FILE` on one state folder (key encrypted with a
# passphrase from a file, or --plain with a warning), `account import FILE`
# into a fresh one, checked at the CA with onlyReturnExisting, then `issue`
# there without any EAB; wrong passphrase and forged exports are refused
# and leave nothing; `--account NAME` holds several accounts of one CA
# (recorded for renewals); `account list` shows every account.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start
H=(--http-port "$HTTP01_PORT" --http-address 127.0.0.1)
A="$CF_TMP/stateA"
B="$CF_TMP/stateB"
C="$CF_TMP/stateC"
PASS="$CF_TMP/pass"
(umask 077 && echo 'correct horse battery staple' >"$PASS" && echo 'wrong' >"$CF_TMP/wrong")
on() { local s=$1; shift; "$CF" --state-dir "$s" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" "$@"; }
newaccts() { pebble_count_requests /sign-me-up; }

t_check "register on the old server (EAB)" on "$A" account register --agree-tos \
	--eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE"
URL=$(on "$A" account show | sed -n 's/^url: *//p')

t_check "account export (encrypted)" on "$A" account export "$CF_TMP/acct.json" --passphrase-file "$PASS"
[ "$(file_mode "$CF_TMP/acct.json")" = 600 ] && grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$CF_TMP/acct.json" &&
	! grep -q 'BEGIN PRIVATE KEY' "$CF_TMP/acct.json" &&
	[ "$(jq -r .url "$CF_TMP/acct.json")" = "$URL" ] &&
	t_pass "export: 0600, URL, key encrypted" || t_fail "export: 0600, URL, key encrypted"
t_run on "$A" account export "$CF_TMP/x.json"
[ "$T_RC" = 2 ] && grep -q 'needs --passphrase-file FILE' "$T_ERR" && t_pass "export needs a passphrase or --plain" ||
	t_fail "export needs a passphrase or --plain" "rc=$T_RC"

t_run on "$B" account import "$CF_TMP/acct.json" --passphrase-file "$CF_TMP/wrong"
[ "$T_RC" = 2 ] && grep -q 'wrong passphrase' "$T_ERR" && [ -z "$(ls -A "$B/accounts" 2>/dev/null)" ] &&
	t_pass "wrong passphrase: refused, nothing written" || t_fail "wrong passphrase: refused, nothing written" "rc=$T_RC $(cat "$T_ERR")"

n0=$(newaccts)
t_check "account import on the new server" on "$B" account import "$CF_TMP/acct.json" --passphrase-file "$PASS"
[ "$(newaccts)" = $((n0 + 1)) ] && t_pass "checked at the CA (onlyReturnExisting)" || t_fail "checked at the CA (onlyReturnExisting)"
[ "$(on "$B" account show | sed -n 's/^url: *//p')" = "$URL" ] && t_pass "same account URL" || t_fail "same account URL"
unset CERTFERRY_EAB_KID CERTFERRY_EAB_HMAC_KEY
n0=$(newaccts)
t_check "issue on the new server without EAB" on "$B" issue -d moved.test "${H[@]}"
[ "$(newaccts)" = "$n0" ] && [ "$(jq -r .account_url "$B/renewals/moved.test.json")" = "$URL" ] &&
	t_pass "issued with the imported account, no registration" || t_fail "issued with the imported account, no registration"
t_run on "$B" account import "$CF_TMP/acct.json" --passphrase-file "$PASS"
[ "$T_RC" = 2 ] && grep -q 'already holds an account' "$T_ERR" && t_pass "import over an account refused" ||
	t_fail "import over an account refused" "rc=$T_RC $(cat "$T_ERR")"

# Forged: the key of the account, another URL.
jq '.url = "https://127.0.0.1:1/my-account/forged"' "$CF_TMP/acct.json" >"$CF_TMP/forged.json"
t_run on "$C" account import "$CF_TMP/forged.json" --passphrase-file "$PASS"
[ "$T_RC" = 1 ] && grep -q 'the CA says this key belongs to the account' "$T_ERR" && [ -z "$(ls -A "$C/accounts" 2>/dev/null)" ] &&
	t_pass "forged URL: refused, nothing written" || t_fail "forged URL: refused, nothing written" "rc=$T_RC $(cat "$T_ERR")"

t_run on "$A" account export "$CF_TMP/plain.json" --plain
[ "$T_RC" = 0 ] && grep -q 'IN CLEAR' "$T_ERR" && grep -q 'BEGIN PRIVATE KEY' "$CF_TMP/plain.json" &&
	t_pass "export --plain warns" || t_fail "export --plain warns" "rc=$T_RC $(cat "$T_ERR")"
t_check "import --plain as a named account" on "$C" --account moved account import "$CF_TMP/plain.json"
[ -f "$(ls -d "$C"/accounts/*+moved)/account.key" ] && t_pass "named account folder <server-id>+moved" ||
	t_fail "named account folder <server-id>+moved" "$(ls "$C/accounts")"

# Several accounts on one CA: the default one and "second" (kid-2).
t_check "register a second account (--account second)" on "$A" --account second account register \
	--agree-tos --eab-kid "$EAB_KID2" --eab-hmac-key-file "$EAB_HMAC2_FILE"
URL2=$(on "$A" --account second account show | sed -n 's/^url: *//p')
[ -n "$URL2" ] && [ "$URL2" != "$URL" ] && t_pass "two accounts on one CA" || t_fail "two accounts on one CA" "$URL2"
t_check "account list" on "$A" account list
grep -q "^(default) .*$URL\$" "$T_OUT" && grep -q "^second .*kid-2 .*$URL2\$" "$T_OUT" &&
	t_pass "list: both accounts" || t_fail "list: both accounts" "$(cat "$T_OUT")"
t_check "issue --account second" on "$A" --account second issue -d second.test "${H[@]}"
DEF="$A/renewals/second.test.json"
[ "$(jq -r .spec.account "$DEF")" = second ] && [ "$(jq -r .account_url "$DEF")" = "$URL2" ] &&
	t_pass "issued with the second account, recorded" || t_fail "issued with the second account, recorded" "$(jq -c '{a: .spec.account, u: .account_url}' "$DEF")"
t_check "renew --force" "$CF" --state-dir "$A" renew --force --name second.test
[ -n "$URL2" ] && [ "$(jq -r .account_url "$DEF")" = "$URL2" ] && t_pass "the renewal used the second account" ||
	t_fail "the renewal used the second account"
t_check "revoke with the certificate's account" "$CF" --state-dir "$A" --ca-bundle "$PEBBLE_CA" revoke second.test --yes
t_done
