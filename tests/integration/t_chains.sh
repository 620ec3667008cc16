#!/usr/bin/env bash
# Alternate chains (RFC 8555 §7.4.2) against Pebble with two roots
# (PEBBLE_ALTERNATE_ROOTS=1) and three-certificate chains
# (PEBBLE_CHAIN_LENGTH=3): --preferred-chain ISSUER keeps the chain whose
# topmost certificate is issued by ISSUER (its CN, as certbot matches it),
# the choice is recorded and renewals keep it; `show` lists the chains
# offered; an issuer no chain has keeps the default chain, with a warning.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq openssl
t_pebble_start PEBBLE_ALTERNATE_ROOTS=1 PEBBLE_CHAIN_LENGTH=3
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
H=(--http-port "$HTTP01_PORT" --http-address 127.0.0.1)

root_cn() {
	curl -sSf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT_URL/roots/$1" |
		openssl x509 -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p'
}
# The issuer CN of the last certificate of a PEM file.
top_issuer() {
	awk '/BEGIN CERT/{n++} {print > (F "." n)}' F="$CF_TMP/split" "$1"
	local last
	last=$(ls "$CF_TMP"/split.* | sort -t. -k2 -n | tail -1)
	openssl x509 -in "$last" -noout -issuer -nameopt multiline | sed -n 's/^ *commonName *= *//p'
	rm -f "$CF_TMP"/split.*
}
R0=$(root_cn 0)
R1=$(root_cn 1)
if [ -z "$R0" ] || [ -z "$R1" ] || [ "$R0" = "$R1" ]; then
	t_fail "Pebble offers two roots" "roots: '$R0' '$R1'"
	t_done
fi

t_check "issue without preference" cf_run issue -d default.chain.test --agree-tos "${H[@]}"
DEFAULT_TOP=$(top_issuer "$(cf_certdir default.chain.test)/fullchain.pem")
case "$DEFAULT_TOP" in
"$R0" | "$R1") t_pass "default chain ends at a Pebble root" ;;
*) t_fail "default chain ends at a Pebble root" "$DEFAULT_TOP" ;;
esac
[ "$DEFAULT_TOP" = "$R0" ] && OTHER=$R1 || OTHER=$R0
n=$(jq '.current.chains | length' "$STATE/renewals/default.chain.test.json")
[ "$n" = 2 ] && t_pass "both chains recorded" || t_fail "both chains recorded" "$n"

N=preferred.chain.test
t_check "issue --preferred-chain (the other root)" \
	cf_run issue -d "$N" --agree-tos "${H[@]}" --preferred-chain "$OTHER"
[ "$(top_issuer "$(cf_certdir "$N")/fullchain.pem")" = "$OTHER" ] &&
	t_pass "fullchain.pem is the preferred chain" ||
	t_fail "fullchain.pem is the preferred chain" "$(top_issuer "$(cf_certdir "$N")/fullchain.pem")"
[ "$(top_issuer "$(cf_certdir "$N")/chain.pem")" = "$OTHER" ] &&
	t_pass "chain.pem is the preferred chain" || t_fail "chain.pem is the preferred chain"
openssl verify -CAfile <(curl -sSf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT_URL/roots/0"; curl -sSf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT_URL/roots/1") \
	-untrusted "$(cf_certdir "$N")/chain.pem" "$(cf_certdir "$N")/cert.pem" >/dev/null 2>&1 &&
	t_pass "the preferred chain verifies" || t_fail "the preferred chain verifies"
[ "$(jq -r .spec.preferred_chain "$STATE/renewals/$N.json")" = "$OTHER" ] &&
	t_pass "preference recorded for renewals" || t_fail "preference recorded for renewals"

t_check "show lists the chains" cf_run show "$N"
grep -q "topmost issued by \"$OTHER\" (installed)" "$T_OUT" &&
	grep -q "topmost issued by \"$DEFAULT_TOP\"\$" "$T_OUT" &&
	t_pass "show: both chains, the installed one marked" ||
	t_fail "show: both chains, the installed one marked" "$(cat "$T_OUT")"

t_check "renew --force" cf_run renew --force --name "$N"
[ "$(top_issuer "$(cf_certdir "$N")/fullchain.pem")" = "$OTHER" ] &&
	t_pass "the renewal kept the preferred chain" || t_fail "the renewal kept the preferred chain"

t_run cf_run issue -d nomatch.chain.test --agree-tos "${H[@]}" --preferred-chain "No Such Root"
[ "$T_RC" = 0 ] && grep -q 'offers no chain whose topmost certificate is issued by "No Such Root"' "$T_ERR" &&
	[ "$(top_issuer "$(cf_certdir nomatch.chain.test)/fullchain.pem")" = "$DEFAULT_TOP" ] &&
	t_pass "no match: the default chain, with a warning" ||
	t_fail "no match: the default chain, with a warning" "rc=$T_RC $(cat "$T_ERR")"
t_done
