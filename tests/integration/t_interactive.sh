#!/usr/bin/env bash
# The interactive menu through a real pseudo-terminal (script(1), from
# bsdutils): create a certificate for an IIS site of the fixture against
# Pebble (settings file for the CA and the paths), which prints the
# equivalent command line and runs it; list; quit.  The account menu
# registers an account (through 'account register'), rolls its key over
# and leaves the contacts alone when not confirmed.  The settings menu
# shows each setting's origin, opens the file in $EDITOR and checks it
# afterwards like 'config check' (an error, then ok); without an editor it
# says what to do.  Without a terminal it never prompts (exit 2).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd script openssl
iis_farm_setup "$T_SCRIPT"
IISCONF=$CONF
t_pebble_start
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

# The account menu, on a fresh state folder (the environment beats the
# file): register, roll the key over, an update not confirmed, list.
printf '%s\n' A G ops@example.test y K '' y U x@example.test n L B Q >"$CF_TMP/answers-acct"
CERTFERRY_STATE_DIR="$CF_TMP/state2" script -qec "\"$CF\" interactive" /dev/null \
	<"$CF_TMP/answers-acct" >"$CF_TMP/pty-acct.out" 2>&1
rc=$?
tr -d '\r' <"$CF_TMP/pty-acct.out" >"$T_OUT"
if [ "$rc" = 0 ] && grep -q '^account registered at ' "$T_OUT" &&
	grep -q 'Contact e-mail addresses.*: External Account Binding: as the settings' "$T_OUT" &&
	grep -q '^  certferry account register --email ops@example.test$' "$T_OUT" &&
	[ -n "$(find "$CF_TMP/state2/accounts" -name account.json 2>/dev/null)" ]; then
	t_pass "account menu: register runs 'account register' and prints it"
else
	t_fail "account menu: register runs 'account register' and prints it" "rc=$rc $(tail -30 "$T_OUT")"
fi
if grep -q 'account https://.*: key rolled over to a new ec256 key' "$T_OUT" &&
	grep -q '^  certferry account rollover$' "$T_OUT"; then
	t_pass "account menu: key rollover after confirmation"
else
	t_fail "account menu: key rollover after confirmation" "$(grep -i -A3 'roll' "$T_OUT" | tail -12)"
fi
if grep -q '^  certferry account update --email x@example.test$' "$T_OUT" &&
	grep -q 'contact addresses at the CA? y/n \[n\]: Nothing done\.$' "$T_OUT" &&
	! grep -q 'contacts updated' "$T_OUT" &&
	grep -q '^  certferry account list$' "$T_OUT"; then
	t_pass "account menu: an update not confirmed does nothing; list"
else
	t_fail "account menu: an update not confirmed does nothing; list" "$(tail -20 "$T_OUT")"
fi

# The settings menu: the editor (a script) first breaks the file, then
# repairs it; each time the menu checks it like 'config check'.
cat >"$CF_TMP/editor" <<'EOE'
#!/bin/sh
if grep -q '^sever = ' "$1"; then sed -i '/^sever = /d' "$1"; else echo 'sever = x' >>"$1"; fi
EOE
chmod +x "$CF_TMP/editor"
printf '%s\n' O y O y Q >"$CF_TMP/answers-conf"
EDITOR="$CF_TMP/editor" script -qec "\"$CF\" interactive" /dev/null \
	<"$CF_TMP/answers-conf" >"$CF_TMP/pty-conf.out" 2>&1
rc=$?
tr -d '\r' <"$CF_TMP/pty-conf.out" >"$T_OUT"
CONF="$CF_TMP/certferry.conf"
badline=$(grep -c '' "$CONF")
if [ "$rc" = 0 ] && grep -q "^ccs-dir  *= $CCS  *# $CONF:[0-9]*\$" "$T_OUT" &&
	grep -q "^server  *= $PEBBLE_DIR_URL  *# $CONF:[0-9]* \[ca pebble\]\$" "$T_OUT" &&
	grep -q '^  certferry config show$' "$T_OUT"; then
	t_pass "settings menu: the effective settings with their origins"
else
	t_fail "settings menu: the effective settings with their origins" "rc=$rc $(head -30 "$T_OUT")"
fi
if grep -q "y/n \[n\]: error: $CONF:$((badline + 1)): unknown key 'sever'" "$T_OUT" &&
	grep -q "y/n \[n\]: ok: $CONF\$" "$T_OUT" && grep -q '^  certferry config check$' "$T_OUT" &&
	! grep -q '^sever' "$CONF"; then
	t_pass "settings menu: edit in \$EDITOR, then the file is checked (error, then ok)"
else
	t_fail "settings menu: edit in \$EDITOR, then the file is checked (error, then ok)" "$(grep -n 'error\|ok:\|Open' "$T_OUT")"
fi
printf '%s\n' O Q | env -u EDITOR -u VISUAL script -qec "\"$CF\" interactive" /dev/null \
	>"$CF_TMP/pty-noed.out" 2>&1
tr -d '\r' <"$CF_TMP/pty-noed.out" >"$T_OUT"
if grep -q "^Neither VISUAL nor EDITOR is set: edit $CONF yourself" "$T_OUT" &&
	grep -A1 '^Then check it with:' "$T_OUT" | grep -q '^  certferry config check$'; then
	t_pass "settings menu without an editor: the path and 'config check'"
else
	t_fail "settings menu without an editor: the path and 'config check'" "$(tail -12 "$T_OUT")"
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
