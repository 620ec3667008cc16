#!/usr/bin/env bash
# The interactive menu through a real pseudo-terminal (script(1), from
# bsdutils): create a certificate for an IIS site of the fixture against
# Pebble (settings file for the CA and the paths), which prints the
# equivalent command line and runs it; list; quit.  Without a terminal it
# never prompts (exit 2).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd script openssl
FARM="$CF_ROOT/../shared/fixtures/iis/applicationHost-farm.config"
if [ ! -f "$FARM" ]; then
	t_skip "$T_SCRIPT" "shared fixture $FARM not found"
	t_done
fi
t_pebble_start
IISCONF="$CF_TMP/applicationHost.config"
cp "$FARM" "$IISCONF"
CCS="$CF_TMP/ccs"
mkdir -p "$CCS"
PW="$CF_TMP/pfx-password"
(umask 077 && printf 'Menu-Pass-%s\n' "$RANDOM$RANDOM" >"$PW")
cat >"$CF_TMP/certferry.conf" <<EOC
[global]
state-dir = $STATE
ca = pebble

[issue]
agree-tos = yes
iis-config = $IISCONF
ccs-dir = $CCS
pfx-password-file = $PW
http-port = $HTTP01_PORT
http-address = 127.0.0.1

[ca pebble]
server = $PEBBLE_DIR_URL
ca-bundle = $PEBBLE_CA
eab-kid = $EAB_KID
eab-hmac-key-file = $EAB_HMAC_FILE
EOC
chmod 600 "$CF_TMP/certferry.conf"  # only its owner may write it
export CERTFERRY_CONFIG="$CF_TMP/certferry.conf"

# N, the default profile, IIS, the configured applicationHost.config,
# site 1000, http-01 by certferry, the configured CCS folder, install in
# IIS, name, run; then L(ist) and Q(uit).
printf '%s\n' N '' 1 '' 1000 1 1 '' y menu-alpha y L Q >"$CF_TMP/answers"
script -qec "\"$CF\" interactive" /dev/null <"$CF_TMP/answers" >"$CF_TMP/pty.out" 2>&1
rc=$?
tr -d '\r' <"$CF_TMP/pty.out" >"$T_OUT"
if [ "$rc" = 0 ] && grep -q 'IIS sites in ' "$T_OUT" && grep -q '1000  Tenant 01 - alpha' "$T_OUT"; then
	t_pass "the menu lists the IIS sites of the configured applicationHost.config"
else
	t_fail "the menu lists the IIS sites of the configured applicationHost.config" "rc=$rc $(tail -30 "$T_OUT")"
fi
if grep -q "^  certferry issue --iis-site 1000 --validation http-01 --install iis --name menu-alpha\$" "$T_OUT"; then
	t_pass "the equivalent command line is printed"
else
	t_fail "the equivalent command line is printed" "$(grep -A1 'unattended' "$T_OUT")"
fi
if [ -f "$CCS/alpha.example.net.pfx" ] && [ -f "$STATE/renewals/menu-alpha.json" ] &&
	grep -q 'bindingInformation="\*:443:alpha.example.net" sslFlags="3"' "$IISCONF"; then
	t_pass "the flow issued the certificate into the CCS and bound it in IIS"
else
	t_fail "the flow issued the certificate into the CCS and bound it in IIS" "$(tail -20 "$T_OUT")"
fi
if grep -q '^menu-alpha ' "$T_OUT" && grep -q '^  certferry list$' "$T_OUT"; then
	t_pass "L lists the renewal and prints 'certferry list'"
else
	t_fail "L lists the renewal and prints 'certferry list'"
fi
# The same command line, unattended, is what the menu said.
if [ "$(jq -r '.spec.iis.install' "$STATE/renewals/menu-alpha.json" 2>/dev/null)" = true ] ||
	grep -q '"install": *true' "$STATE/renewals/menu-alpha.json"; then
	t_pass "the recorded renewal installs in IIS"
else
	t_fail "the recorded renewal installs in IIS"
fi

printf 'Q\n' | script -qec "\"$CF\"" /dev/null >"$CF_TMP/pty2.out" 2>&1
if grep -q 'N: Create a certificate' "$CF_TMP/pty2.out"; then
	t_pass "certferry alone on a terminal opens the menu"
else
	t_fail "certferry alone on a terminal opens the menu" "$(head -5 "$CF_TMP/pty2.out")"
fi

# Never prompts without a terminal.
t_run "$CF" interactive <"$CF_TMP/answers"
if [ "$T_RC" = 2 ] && grep -q 'needs a terminal' "$T_ERR" && ! grep -q 'Choose' "$T_OUT"; then
	t_pass "interactive without a terminal: exit 2, no prompt"
else
	t_fail "interactive without a terminal: exit 2, no prompt" "rc=$T_RC"
fi
t_run "$CF" <"$CF_TMP/answers"
if [ "$T_RC" = 2 ] && grep -q '^usage:' "$T_ERR" && ! grep -q 'Choose' "$T_OUT"; then
	t_pass "certferry alone without a terminal: usage, no prompt"
else
	t_fail "certferry alone without a terminal: usage, no prompt" "rc=$T_RC"
fi
t_done
