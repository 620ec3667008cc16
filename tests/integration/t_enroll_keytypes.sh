#!/usr/bin/env bash
# Certificate key types ec384 and rsa2048 (standalone http-01); the account is
# registered on the fly by `issue`, HMAC key from the environment.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC

for kt in ec384 rsa2048; do
	name="$kt.keys.example.test"
	if t_check "issue --key-type $kt" cf_run issue -d "$name" \
		--name "cert-$kt" --key-type "$kt" --agree-tos \
		--http-port "$HTTP01_PORT" --http-address 127.0.0.1; then
		check_issued "$kt" "cert-$kt" "$name"
		got=$(key_type_of "$(cf_certdir "cert-$kt")/privkey.pem")
		if [ "$got" = "$kt" ]; then
			t_pass "$kt: privkey.pem is $kt"
		else
			t_fail "$kt: privkey.pem is $kt" "it is $got"
		fi
	fi
done
n=$(cf_account_dirs | wc -l)
if [ "$n" -eq 1 ]; then t_pass "one account for both"; else t_fail "one account for both" "found $n"; fi
t_done
