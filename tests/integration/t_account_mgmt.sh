#!/usr/bin/env bash
# certferry account show/update/rollover/deactivate against Pebble: a new
# issuance works with the rolled-over key; the old key is gone; a
# deactivated account is refused by the CA with a clear message.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab

t_check "register" cf_run account register --agree-tos --email one@example.test
acct=$(cf_account_dirs | head -1)
t_check "account show" cf_run account show
grep -q '^status: *valid' "$T_OUT" && grep -q 'mailto:one@example.test' "$T_OUT" &&
	t_pass "show: status and contact" || t_fail "show: status and contact" "$(cat "$T_OUT")"
t_check "account update --email" cf_run account update --email two@example.test --email three@example.test
t_check "account show after update" cf_run account show
grep -q 'mailto:two@example.test' "$T_OUT" && grep -q 'mailto:three@example.test' "$T_OUT" &&
	! grep -q 'one@example.test' "$T_OUT" && t_pass "contacts updated at the CA" ||
	t_fail "contacts updated at the CA" "$(cat "$T_OUT")"
[ "$(jq -r '.contact | length' "$acct/account.json")" = 2 ] && t_pass "account.json updated" ||
	t_fail "account.json updated"

old=$(openssl pkey -in "$acct/account.key" -pubout 2>/dev/null)
t_check "account rollover --key-type ec384" cf_run account rollover --key-type ec384
new=$(openssl pkey -in "$acct/account.key" -pubout 2>/dev/null)
[ -n "$new" ] && [ "$old" != "$new" ] && [ "$(key_type_of "$acct/account.key")" = ec384 ] &&
	[ "$(file_mode "$acct/account.key")" = 600 ] && [ ! -e "$acct/account.key.new" ] &&
	t_pass "new key stored (ec384, 0600, no leftover)" || t_fail "new key stored (ec384, 0600, no leftover)"
[ "$(pebble_count_requests /rollover-account-key)" = 1 ] && t_pass "one keyChange request" ||
	t_fail "one keyChange request"
t_check "issue with the new key" cf_run issue -d roll.acct.test "${H[@]}"
check_issued "after rollover" roll.acct.test roll.acct.test
t_check "account show after rollover" cf_run account show
grep -q 'key type: ec384' "$T_OUT" && t_pass "show: ec384" || t_fail "show: ec384" "$(cat "$T_OUT")"

t_expect_rc "deactivate needs --yes (exit 2)" 2 cf_run account deactivate
t_check "account deactivate --yes" cf_run account deactivate --yes
t_expect_rc "issue with a deactivated account (exit 1)" 1 cf_run issue -d after.acct.test "${H[@]}"
if grep -qi 'deactivated' "$T_ERR" && grep -q '^error: ' "$T_ERR"; then
	t_pass "the CA's refusal is clear"
else
	t_fail "the CA's refusal is clear" "$(cat "$T_ERR")"
fi
t_done
