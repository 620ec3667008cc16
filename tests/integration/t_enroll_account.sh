#!/usr/bin/env bash
# Account registration with External Account Binding, account reuse, and the
# two EAB failures (wrong HMAC key, no EAB at all); single-name issuance via
# standalone http-01.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
t_pebble_start

# A well-formed key that Pebble does not know (for kid-1).
WRONG_HMAC=$(cf_random_b64url)

no_account_left() {
	local label=$1
	if [ -z "$(cf_account_dirs)" ]; then
		t_pass "$label: no account left in the state dir"
	else
		t_fail "$label: no account left in the state dir" "found: $(cf_account_dirs | tr '\n' ' ')"
	fi
}

secret_not_shown() {
	local label=$1 secret=$2
	if grep -qF "$secret" "$T_OUT" "$T_ERR"; then
		t_fail "$label: the HMAC key is not printed"
	else
		t_pass "$label: the HMAC key is not printed"
	fi
}

# ---- wrong HMAC key: refused, clear error, nothing stored ----
STATE="$CF_TMP/state-wrong-hmac"
# The CA refuses the key: a failure (1); no EAB at all is caught before
# asking the CA: bad input (2).
CERTFERRY_EAB_HMAC_KEY=$WRONG_HMAC t_expect_rc "wrong HMAC key is refused (exit 1)" 1 \
	cf_run account register --agree-tos --eab-kid "$EAB_KID"
if grep -qi '^error:.*hmac' "$T_ERR"; then
	t_pass "wrong HMAC key: error: line mentions the HMAC key"
else
	t_fail "wrong HMAC key: error: line mentions the HMAC key" "stderr: $(head -c 300 "$T_ERR")"
fi
secret_not_shown "wrong HMAC key" "$WRONG_HMAC"
no_account_left "wrong HMAC key"

# ---- no EAB: refused, clear error, nothing stored ----
STATE="$CF_TMP/state-no-eab"
t_expect_rc "registration without EAB is refused (exit 2)" 2 \
	cf_run account register --agree-tos
if grep -qi '^error:.*external account' "$T_ERR"; then
	t_pass "no EAB: error: line mentions external account binding"
else
	t_fail "no EAB: error: line mentions external account binding" "stderr: $(head -c 300 "$T_ERR")"
fi
no_account_left "no EAB"

# ---- register with EAB (HMAC key from a file) ----
STATE="$CF_TMP/state"
before=$(pebble_count_requests /sign-me-up)
t_check "register with EAB" cf_run account register --agree-tos \
	--email admin@example.test --eab-kid "$EAB_KID" \
	--eab-hmac-key-file "$EAB_HMAC_FILE"
secret_not_shown "register" "$EAB_HMAC"
after=$(pebble_count_requests /sign-me-up)
if [ "$((after - before))" -eq 1 ]; then
	t_pass "register sent one newAccount request"
else
	t_fail "register sent one newAccount request" "sent $((after - before))"
fi

mapfile -t accts < <(cf_account_dirs)
if [ "${#accts[@]}" -eq 1 ]; then
	t_pass "one account folder"
	acct=${accts[0]}
	for f in account.json account.key; do
		if [ -s "$acct/$f" ]; then t_pass "account: $f present"; else t_fail "account: $f present"; fi
	done
	m=$(file_mode "$acct/account.key")
	if [ "$m" = 600 ]; then t_pass "account.key mode 0600"; else t_fail "account.key mode 0600" "mode $m"; fi
	m=$(file_mode "$acct")
	if [ "$m" = 700 ]; then t_pass "account folder mode 0700"; else t_fail "account folder mode 0700" "mode $m"; fi
	t_check "account.json is JSON" jq -e . "$acct/account.json"
	if grep -qF "$EAB_HMAC" "$acct/account.json"; then
		t_fail "account.json does not hold the HMAC key"
	else
		t_pass "account.json does not hold the HMAC key"
	fi
else
	t_fail "one account folder" "found ${#accts[@]}: $(cf_account_dirs | tr '\n' ' ')"
fi

t_check "account show" cf_run account show

# ---- a key left without account.json (registration cut short after the
# CA accepted it) is recovered with onlyReturnExisting, without EAB ----
acct=$(cf_account_dirs | head -n 1)
url=$(jq -r .url "$acct/account.json")
mv "$acct/account.json" "$CF_TMP/account.json.saved"
before=$(pebble_count_requests /sign-me-up)
t_check "account without account.json: recovered, no EAB given" \
	cf_run account register --agree-tos
if [ "$(jq -r .url "$acct/account.json" 2>/dev/null)" = "$url" ] &&
	[ "$(pebble_count_requests /sign-me-up)" -eq $((before + 1)) ]; then
	t_pass "recovered the same account URL with one lookup"
else
	t_fail "recovered the same account URL with one lookup" \
		"url $(jq -r .url "$acct/account.json" 2>/dev/null) (was $url)"
fi

# ---- issue: reuses the account; the (wrong) EAB in the env is not used ----
before=$(pebble_count_requests /sign-me-up)
CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$WRONG_HMAC \
	t_check "issue single name (standalone http-01, wrong EAB in env unused)" \
	cf_run issue -d single.example.test --http-port "$HTTP01_PORT" --http-address 127.0.0.1
after=$(pebble_count_requests /sign-me-up)
if [ "$after" -eq "$before" ]; then
	t_pass "issue reused the account (no newAccount request)"
else
	t_fail "issue reused the account (no newAccount request)" "$((after - before)) newAccount requests"
fi
n=$(cf_account_dirs | wc -l)
if [ "$n" -eq 1 ]; then t_pass "still one account folder"; else t_fail "still one account folder" "found $n"; fi
check_issued "single" single.example.test single.example.test
if [ "$(pebble_count_requests /finalize-order/)" -ge 1 ]; then
	t_pass "Pebble saw a finalize request"
else
	t_fail "Pebble saw a finalize request"
fi

t_done
