#!/usr/bin/env bash
# win-acme's unattended command line (docs/WINACME-ARGS.md) end to end
# against Pebble with the IIS fixture: --source iis --siteid ... --baseuri
# --eab-key-identifier --eab-key --emailaddress --accepttos --installation
# iis --store centralssl --centralsslstore, with the Linux-only paths
# (applicationHost.config, PFX password file, state folder) in a settings
# file.  Then --list, --renew --force, --cancel; Windows-only arguments are
# refused (exit 2) with an explanation.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl jq
iis_farm_setup "$T_SCRIPT"
IISCONF=$CONF
t_pebble_start
cat >"$CF_TMP/certferry.conf" <<EOC
[global]
state-dir = $STATE
ca-bundle = $PEBBLE_CA

[issue]
iis-config = $IISCONF
pfx-password-file = $PW
http-address = 127.0.0.1
EOC
chmod 600 "$CF_TMP/certferry.conf"  # only its owner may write it
export CERTFERRY_CONFIG="$CF_TMP/certferry.conf"

# As win-acme documents it (site 1000 is "Tenant 01 - alpha").
t_run "$CF" --source iis --siteid 1000 --baseuri "$PEBBLE_DIR_URL" \
	--eab-key-identifier "$EAB_KID" --eab-key "$EAB_HMAC" \
	--emailaddress ops@example.test --accepttos --validation selfhosting \
	--validationport "$HTTP01_PORT" --installation iis --store centralssl \
	--centralsslstore "$CCS" --friendlyname alpha-wa
if [ "$T_RC" = 0 ] && [ -f "$CCS/alpha.example.net.pfx" ]; then
	t_pass "win-acme command line: certificate issued into the CCS"
else
	t_fail "win-acme command line: certificate issued into the CCS" "rc=$T_RC $(tail -5 "$T_ERR")"
fi
if grep -q "^certferry: win-acme arguments, run as: .* issue --iis-site 1000 --name alpha-wa --agree-tos --email ops@example.test --eab-kid $EAB_KID --eab-hmac-key (hidden) --validation http-01 --http-port $HTTP01_PORT --ccs-dir $CCS --install iis" "$T_ERR" &&
	! grep -q -- "$EAB_HMAC" "$T_ERR"; then
	t_pass "the equivalent certferry command is shown, the EAB key hidden"
else
	t_fail "the equivalent certferry command is shown, the EAB key hidden" "$(grep 'run as' "$T_ERR")"
fi
if openssl pkcs12 -in "$CCS/alpha.example.net.pfx" -passin "file:$PW" -nokeys -clcerts 2>/dev/null |
	openssl x509 -noout -ext subjectAltName 2>/dev/null | grep -q 'DNS:alpha.example.net'; then
	t_pass "the PFX opens with the password file and names the site's host"
else
	t_fail "the PFX opens with the password file and names the site's host"
fi
if grep -q 'bindingInformation="\*:443:alpha.example.net" sslFlags="3"' "$IISCONF"; then
	t_pass "--installation iis: the https CCS binding was added"
else
	t_fail "--installation iis: the https CCS binding was added"
fi
if [ "$(jq -r '.spec.iis.install' "$STATE/renewals/alpha-wa.json" 2>/dev/null)" = true ] ||
	grep -q '"install": *true' "$STATE/renewals/alpha-wa.json" 2>/dev/null; then
	t_pass "renewal recorded as alpha-wa with its installation"
else
	t_fail "renewal recorded as alpha-wa with its installation" "$(head -c 400 "$STATE/renewals/alpha-wa.json" 2>&1)"
fi

t_run "$CF" --list
if [ "$T_RC" = 0 ] && grep -q '^alpha-wa ' "$T_OUT"; then t_pass "--list"; else
	t_fail "--list" "$(cat "$T_OUT" "$T_ERR")"; fi
serial=$(jq -r .current.serial "$STATE/renewals/alpha-wa.json")
t_run "$CF" --renew --force --id alpha-wa --baseuri "$PEBBLE_DIR_URL"
if [ "$T_RC" = 0 ] && [ "$(jq -r .current.serial "$STATE/renewals/alpha-wa.json")" != "$serial" ]; then
	t_pass "--renew --force --id: renewed"
else
	t_fail "--renew --force --id: renewed" "rc=$T_RC $(tail -3 "$T_ERR")"
fi
t_check "--cancel --id" "$CF" --cancel --id alpha-wa
if [ "$(jq -r .state "$STATE/renewals/alpha-wa.json")" = cancelled ]; then
	t_pass "--cancel: renewal cancelled"
else
	t_fail "--cancel: renewal cancelled"
fi

refused() { # LABEL WORD ARGS...
	local label=$1 word=$2
	shift 2
	t_run "$CF" "$@"
	if [ "$T_RC" = 2 ] && grep -q "$word" "$T_ERR"; then
		t_pass "refused: $label"
	else
		t_fail "refused: $label" "rc=$T_RC $(cat "$T_ERR")"
	fi
}
refused "--store certificatestore" "Windows certificate stores" \
	--source iis --siteid 1 --store certificatestore
refused "--pfxpassword (visible in ps)" "pfx-password-file" \
	--source iis --siteid 1 --store centralssl --centralsslstore "$CCS" --pfxpassword secret
refused "--validation cloudflare" "dnsscript" --source manual --host a.test --validation cloudflare
refused "--test without --baseuri" "staging directory" --source manual --host a.test --test
refused "--cancel with a pattern" "no patterns" --cancel --friendlyname 'example.*'
refused "an unknown argument" "unknown win-acme argument --bogus" --source manual --host a.test --bogus 1
t_done
