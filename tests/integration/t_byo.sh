#!/usr/bin/env bash
# Bring your own CSR and key (issue --csr FILE [--key FILE], issue --key
# FILE) against Pebble, with files made by openssl: exactly the CSR's names
# are ordered; the certificate is for the given key, at issue and at every
# renewal; paths are recorded absolute; stores that need a key refuse
# --csr alone; a key that is not the CSR's, -d with --csr, and a CSR that
# no longer names the certificate's names are refused before ordering.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq openssl
t_pebble_start_eab
B="$CF_TMP/byo"
mkdir -p "$B/pem"
orders() { pebble_count_requests /order-plz; }
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
pub_of_key() { openssl pkey -in "$1" -pubout; }

(
	cd "$B" &&
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out my.key 2>/dev/null &&
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null &&
		openssl req -new -key my.key -subj "/CN=csr.byo.test" \
			-addext "subjectAltName=DNS:csr.byo.test,DNS:www.csr.byo.test" -out my.csr 2>/dev/null &&
		openssl req -new -key my.key -subj "/CN=renamed.byo.test" -addext "subjectAltName=DNS:renamed.byo.test" -outform DER -out renamed.der 2>/dev/null
) || { t_fail "openssl makes the key and CSR"; t_done; }

# Relative paths from another folder: recorded absolute.
t_check "issue --csr --key --pem-dir" bash -c "cd '$B' && '$CF' --state-dir '$STATE' \
	--server '$PEBBLE_DIR_URL' --ca-bundle '$PEBBLE_CA' issue --csr my.csr --key my.key \
	--pem-dir pem --agree-tos --http-port $HTTP01_PORT --http-address 127.0.0.1"
D=$(cf_certdir csr.byo.test)
[ "$(cert_sans "$D/cert.pem" | tr '\n' ' ')" = "csr.byo.test www.csr.byo.test " ] &&
	t_pass "exactly the CSR's names" || t_fail "exactly the CSR's names" "$(cert_sans "$D/cert.pem")"
[ "$(pub_of_cert "$D/cert.pem")" = "$(pub_of_key "$B/my.key")" ] &&
	t_pass "certificate for the given key" || t_fail "certificate for the given key"
cmp -s <(pub_of_key "$B/pem/privkey.pem") <(pub_of_key "$B/my.key") &&
	t_pass "the PEM store holds the given key" || t_fail "the PEM store holds the given key"
DEF="$STATE/renewals/csr.byo.test.json"
[ "$(jq -r .spec.csr_file "$DEF")" = "$B/my.csr" ] && [ "$(jq -r .spec.key_file "$DEF")" = "$B/my.key" ] &&
	t_pass "CSR and key recorded as absolute paths" || t_fail "CSR and key recorded as absolute paths" "$(jq -c .spec "$DEF")"

s0=$(openssl x509 -in "$D/cert.pem" -noout -serial)
t_check "renew --force" cf_run renew --force --name csr.byo.test
D=$(cf_certdir csr.byo.test)
[ "$(openssl x509 -in "$D/cert.pem" -noout -serial)" != "$s0" ] &&
	[ "$(pub_of_cert "$D/cert.pem")" = "$(pub_of_key "$B/my.key")" ] &&
	t_pass "the renewal reused the CSR and key" || t_fail "the renewal reused the CSR and key"

n0=$(orders)
t_run cf_run issue --csr "$B/my.csr" --name nokey.pem --pem-dir "$B/pem2" --agree-tos "${H[@]}"
[ "$T_RC" = 2 ] && grep -q 'needs the certificate.s private key, which --csr alone does not give: add --key' "$T_ERR" &&
	t_pass "a PEM store refuses --csr without --key" || t_fail "a PEM store refuses --csr without --key" "rc=$T_RC $(cat "$T_ERR")"
t_run cf_run issue --csr "$B/my.csr" --key "$B/other.key" --name wrongkey --agree-tos "${H[@]}"
[ "$T_RC" = 2 ] && grep -q 'other.key is not the key of --csr' "$T_ERR" &&
	t_pass "a key that is not the CSR's is refused" || t_fail "a key that is not the CSR's is refused" "rc=$T_RC $(cat "$T_ERR")"
t_run cf_run issue --csr "$B/my.csr" -d extra.byo.test --agree-tos "${H[@]}"
[ "$T_RC" = 2 ] && grep -q 'drop -d' "$T_ERR" && t_pass "-d with --csr is refused" ||
	t_fail "-d with --csr is refused" "rc=$T_RC $(cat "$T_ERR")"
[ "$(orders)" = "$n0" ] && grep -q 'drop -d' "$T_ERR" && t_pass "nothing was ordered for the refusals" ||
	t_fail "nothing was ordered for the refusals"

t_check "issue --csr alone (DER, state folder only)" cf_run issue --csr "$B/renamed.der" --agree-tos "${H[@]}"
D=$(cf_certdir renamed.byo.test)
[ -f "$D/cert.pem" ] && [ ! -e "$D/privkey.pem" ] &&
	[ "$(pub_of_cert "$D/cert.pem")" = "$(pub_of_key "$B/my.key")" ] &&
	t_pass "certificate for the CSR's key, no privkey.pem" || t_fail "certificate for the CSR's key, no privkey.pem" "$(ls "$D")"

t_check "issue --key -d" cf_run issue --key "$B/other.key" -d key.byo.test --agree-tos "${H[@]}"
[ "$(pub_of_cert "$(cf_certdir key.byo.test)/cert.pem")" = "$(pub_of_key "$B/other.key")" ] &&
	t_pass "issue --key: certificate for that key" || t_fail "issue --key: certificate for that key"

# The CSR file now names something else: the renewal refuses it.
cp "$B/renamed.der" "$B/my.csr"
n0=$(orders)
t_run cf_run renew --force --name csr.byo.test
[ "$T_RC" = 1 ] && grep -q 'no longer names what the certificate names' "$T_OUT" "$T_ERR" && [ "$(orders)" = "$n0" ] &&
	t_pass "a CSR that changed names is refused before ordering" ||
	t_fail "a CSR that changed names is refused before ordering" "rc=$T_RC $(cat "$T_OUT" "$T_ERR")"
t_done
