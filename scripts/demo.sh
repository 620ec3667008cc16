#!/usr/bin/env bash
# `make demo`: enroll against a throwaway local ACME CA.
#
# Starts Pebble (EAB required) and its DNS helper on 127.0.0.1 with the same
# code the tests use, registers an account with External Account Binding
# (HMAC key read from a file, never from argv), issues one certificate for
# demo.example.test and www.demo.example.test through standalone http-01, and
# prints a summary.  Pebble is stopped at the end; the resulting state stays
# in $DEMO_STATE (default build/demo) for a look.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/integration/lib.sh"

DEMO_STATE=${DEMO_STATE:-$BUILD/demo}
NAMES=(demo.example.test www.demo.example.test)

say() {
	printf '==> %s\n' "$*"
}

die() {
	printf 'demo: error: %s\n' "$*" >&2
	exit 1
}

[ -x "$CF" ] || die "$CF is not built (run: make)"

say "Starting a local ACME CA (Pebble, External Account Binding required)"
pebble_start || die "Pebble did not start (is the pebble package installed? scripts/install-deps.sh)"
echo "    directory: $PEBBLE_DIR_URL"

rm -rf "$DEMO_STATE"
mkdir -p "$(dirname "$DEMO_STATE")"
STATE=$DEMO_STATE
cf() {
	"$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
		--ca-bundle "$PEBBLE_CA" "$@"
}

say "Registering an account (EAB key id $EAB_KID, HMAC key read from a 0600 file)"
cf account register --agree-tos --email demo@example.test \
	--eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE" ||
	die "account registration failed (see the error above)"

say "Issuing a certificate for ${NAMES[*]} (http-01, standalone on 127.0.0.1:$HTTP01_PORT)"
args=()
for n in "${NAMES[@]}"; do
	args+=(-d "$n")
done
cf issue "${args[@]}" --http-port "$HTTP01_PORT" ||
	die "issuance failed (see the error above)"

dir="$STATE/certs/${NAMES[0]}"
for f in cert.pem chain.pem fullchain.pem privkey.pem; do
	[ -s "$dir/$f" ] || die "issuance reported success but $dir/$f is missing"
done
root="$CF_TMP/pebble-root.pem"
pebble_root_pem "$root" || die "cannot fetch Pebble's root certificate"
openssl verify -CAfile "$root" -untrusted "$dir/chain.pem" "$dir/cert.pem" >/dev/null ||
	die "the certificate does not chain to Pebble's root"

x() {
	openssl x509 -in "$dir/cert.pem" -noout "$@"
}
names=$(cert_sans "$dir/cert.pem" | paste -sd ' ' -)
issuer=$(x -issuer -nameopt oneline | sed 's/^issuer= *//; s/^issuer=//')
not_before=$(x -startdate | cut -d= -f2)
not_after=$(x -enddate | cut -d= -f2)
serial=$(x -serial | cut -d= -f2)

echo
echo "Certificate issued and verified against Pebble's root:"
printf '  %-12s %s\n' \
	"names:" "$names" \
	"issuer:" "$issuer" \
	"serial:" "$serial" \
	"valid from:" "$not_before" \
	"valid until:" "$not_after" \
	"key type:" "$(key_type_of "$dir/privkey.pem")" \
	"key:" "$dir/privkey.pem (mode $(file_mode "$dir/privkey.pem"))" \
	"cert:" "$dir/cert.pem" \
	"chain:" "$dir/chain.pem" \
	"fullchain:" "$dir/fullchain.pem" \
	"account:" "$(cf_account_dirs | head -n 1)"
echo
echo "Pebble has been stopped; the state above stays in $DEMO_STATE."
