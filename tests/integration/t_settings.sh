#!/usr/bin/env bash
# The settings file (docs/SETTINGS.md): a [ca NAME] profile and [issue]
# defaults replace the options of an issue against Pebble; the command line
# beats the file; a renewal keeps what it was issued with after the file
# changes; a bad file is exit 2 with FILE:LINE and changes nothing.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start
CONF="$CF_TMP/certferry.conf"
write_conf() { # KEY-TYPE
	cat >"$CONF" <<-EOC
	# certferry settings for the test
	[global]
	state-dir = $STATE
	ca = pebble

	[issue]
	agree-tos = yes
	email = ops@example.test
	key-type = $1
	http-port = $HTTP01_PORT
	http-address = 127.0.0.1

	[ca pebble]
	server = $PEBBLE_DIR_URL   ; Pebble's directory
	ca-bundle = $PEBBLE_CA
	eab-kid = $EAB_KID
	eab-hmac-key-file = $EAB_HMAC_FILE
	EOC
	chmod 600 "$CONF"  # only its owner may write it (settings.h)
}
def() { echo "$STATE/renewals/$1.json"; }
write_conf ec384
export CERTFERRY_CONFIG="$CONF"

if t_check "issue with only -d and the settings file" \
	"$CF" issue -d a.settings.test; then
	check_issued "settings" a.settings.test a.settings.test
	got=$(key_type_of "$(cf_certdir a.settings.test)/privkey.pem")
	if [ "$got" = ec384 ]; then t_pass "key-type from [issue]"; else
		t_fail "key-type from [issue]" "key is $got"; fi
fi
if [ "$(jq -r '.spec.server // .server // empty' "$(def a.settings.test)" 2>/dev/null)" = "$PEBBLE_DIR_URL" ] ||
	grep -qF "\"$PEBBLE_DIR_URL\"" "$(def a.settings.test)" 2>/dev/null; then
	t_pass "the renewal records the profile's server"
else
	t_fail "the renewal records the profile's server" "$(head -c 600 "$(def a.settings.test)" 2>&1)"
fi

t_check "command line beats the file" \
	"$CF" issue -d b.settings.test --key-type rsa2048
got=$(key_type_of "$(cf_certdir b.settings.test)/privkey.pem")
if [ "$got" = rsa2048 ]; then t_pass "--key-type rsa2048 used"; else
	t_fail "--key-type rsa2048 used" "key is $got"; fi

# The file changes: the renewal of a keeps ec384 (recorded spec).
write_conf rsa3072
before=$(jq -c .spec "$(def a.settings.test)")
t_check "renew --force a after the file changed" \
	"$CF" renew --force --name a.settings.test
got=$(key_type_of "$(cf_certdir a.settings.test)/privkey.pem")
after=$(jq -c .spec "$(def a.settings.test)")
if [ "$got" = ec384 ] && [ "$before" = "$after" ]; then
	t_pass "a renewal keeps its recorded settings"
else
	t_fail "a renewal keeps its recorded settings" "key $got; spec changed: $([ "$before" = "$after" ] && echo no || echo yes)"
fi

# Asked explicitly: issue again with --force takes the current file.
t_check "issue --force a after the file changed" "$CF" issue -d a.settings.test --force
got=$(key_type_of "$(cf_certdir a.settings.test)/privkey.pem")
kt=$(jq -r .spec.key_type "$(def a.settings.test)")
if [ "$got" = rsa3072 ] && [ "$kt" != "$(jq -r .key_type <<<"$before")" ]; then
	t_pass "issue --force records the current settings"
else
	t_fail "issue --force records the current settings" "key $got, recorded $kt"
fi

t_run "$CF" config show
if grep -q "^key-type *= rsa3072 *# $CONF:9\$" "$T_OUT" &&
	grep -q "^server *= $PEBBLE_DIR_URL *# $CONF:14 \[ca pebble\]" "$T_OUT"; then
	t_pass "config show: value and FILE:LINE"
else
	t_fail "config show: value and FILE:LINE" "$(head -20 "$T_OUT")"
fi
t_run env CERTFERRY_SERVER=https://env.example/ "$CF" --account acct config show
if grep -q "^server *= https://env.example/ *# environment CERTFERRY_SERVER" "$T_OUT" &&
	grep -q "^account *= acct *# command line" "$T_OUT"; then
	t_pass "config show: environment and command line"
else
	t_fail "config show: environment and command line" "$(head -8 "$T_OUT")"
fi

# One file with the defaults of two methods: validation = tls-alpn-01
# chooses tls-port/tls-address; --validation http-01 on the command line
# takes http-port/http-address instead (settings.h).
cat >"$CF_TMP/alpn.conf" <<EOC
[global]
state-dir = $STATE
server = $PEBBLE_DIR_URL
ca-bundle = $PEBBLE_CA

[issue]
validation = tls-alpn-01
tls-port = $TLSALPN_PORT
tls-address = 127.0.0.1
http-port = $HTTP01_PORT
http-address = 127.0.0.1
EOC
chmod 600 "$CF_TMP/alpn.conf"
if t_check "tls-alpn-01 from the settings (tls-port, tls-address)" \
	"$CF" --config "$CF_TMP/alpn.conf" issue -d alpn.settings.test; then
	m=$(jq -r '.spec.validation.method' "$(def alpn.settings.test)")
	p=$(jq -r '.spec.validation.tls_port' "$(def alpn.settings.test)")
	hp=$(jq -r '.spec.validation.http_port // 0' "$(def alpn.settings.test)")
	if [ "$m" = tls-alpn-01 ] && [ "$p" = "$TLSALPN_PORT" ] && [ "$hp" = 0 ]; then
		t_pass "the renewal records tls-alpn-01 on tls-port, no http-port"
	else
		t_fail "the renewal records tls-alpn-01 on tls-port, no http-port" "method $m tls_port $p http_port $hp"
	fi
fi
if t_check "--validation http-01 takes http-port from the same file" \
	"$CF" --config "$CF_TMP/alpn.conf" issue -d http.settings.test --validation http-01; then
	hp=$(jq -r '.spec.validation.http_port // 0' "$(def http.settings.test)")
	p=$(jq -r '.spec.validation.tls_port // 0' "$(def http.settings.test)")
	if [ "$hp" = "$HTTP01_PORT" ] && [ "$p" = 0 ]; then
		t_pass "the renewal records http-port, no tls-port"
	else
		t_fail "the renewal records http-port, no tls-port" "http_port $hp tls_port $p"
	fi
fi

# A bad file: exit 2, FILE:LINE, nothing issued.
printf '[issue]\nkey-type = ec384\nvalidaton = http-01\n' >"$CF_TMP/bad.conf" && chmod 600 "$CF_TMP/bad.conf"
t_run "$CF" --config "$CF_TMP/bad.conf" issue -d c.settings.test
if [ "$T_RC" = 2 ] && grep -q "^error: $CF_TMP/bad.conf:3: unknown key 'validaton'" "$T_ERR" &&
	[ ! -e "$(def c.settings.test)" ]; then
	t_pass "unknown key: exit 2 naming FILE:LINE"
else
	t_fail "unknown key: exit 2 naming FILE:LINE" "rc=$T_RC $(cat "$T_ERR")"
fi
t_run "$CF" --config "$CF_TMP/none.conf" list
if [ "$T_RC" = 2 ] && grep -q "none.conf" "$T_ERR"; then
	t_pass "a named file that is missing: exit 2"
else
	t_fail "a named file that is missing: exit 2" "rc=$T_RC"
fi
t_run "$CF" --ca nope list
if [ "$T_RC" = 2 ] && grep -q "no CA profile 'nope'" "$T_ERR"; then
	t_pass "--ca with an unknown profile: exit 2"
else
	t_fail "--ca with an unknown profile: exit 2" "rc=$T_RC $(cat "$T_ERR")"
fi
t_done
