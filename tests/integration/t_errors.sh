#!/usr/bin/env bash
# Errors that say what to do (issue 9, part 5): every case below used to
# end in a bare or misleading message, a long retry loop, or the wrong exit
# status.  Pebble plays the CA; tests/tools/faultproxy (docs/TESTING-PROXY.md)
# stands in where Pebble cannot misbehave (a JSON that is not a directory,
# a CA that answers 500 to everything).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl curl jq
if [ ! -x "$BUILD/tools/faultproxy" ]; then
	t_fail "$T_SCRIPT" "faultproxy not built ($BUILD/tools/faultproxy)"
	t_done
fi
t_pebble_start
REG=(account register --agree-tos)

# expect LABEL STATUS REGEX: the last t_run ended with STATUS and stderr
# matches the extended REGEX.
expect() {
	local label=$1 want=$2 re=$3
	if [ "$T_RC" -eq "$want" ] && grep -qE -- "$re" "$T_ERR"; then
		t_pass "$label"
	else
		t_fail "$label" "exit $T_RC (want $want): $(tail -n 3 "$T_ERR" | tr '\n' ' ')"
	fi
}

# state_unchanged LABEL DIR: DIR does not exist or is empty of accounts.
no_account() {
	if [ -z "$(find "$1/accounts" -name account.json 2>/dev/null)" ]; then
		t_pass "$2: no account left behind"
	else
		t_fail "$2: no account left behind" "$(find "$1/accounts" 2>&1)"
	fi
}

# ---- a server certificate that is not trusted: fails fast, names --ca-bundle
S="$CF_TMP/s-tls"
t0=$(date +%s%N)
t_run "$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" "${REG[@]}" \
	--eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE"
ms=$((($(date +%s%N) - t0) / 1000000))
expect "untrusted TLS: error names --ca-bundle and CERTFERRY_CA_BUNDLE" 1 \
	'^error: .*not trusted.*--ca-bundle FILE.*CERTFERRY_CA_BUNDLE'
if [ "$ms" -lt 10000 ] && ! grep -q 'retrying' "$T_ERR"; then
	t_pass "untrusted TLS: not retried (${ms} ms, no retry lines)"
else
	t_fail "untrusted TLS: not retried" "${ms} ms; $(grep -c retrying "$T_ERR") retry lines"
fi
cf_make_ca "$CF_TMP/other-ca"
t_run "$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$CF_TMP/other-ca/ca.pem" "${REG[@]}"
expect "--ca-bundle of another CA: names the bundle, not retried" 1 \
	"^error: .*not trusted by --ca-bundle $CF_TMP/other-ca/ca.pem; give the PEM file of the root"
grep -q retrying "$T_ERR" && t_fail "--ca-bundle of another CA: not retried"
t_run "$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$CF_TMP/no-such-bundle.pem" "${REG[@]}"
expect "--ca-bundle that does not exist: exit 2, names the file" 2 \
	'^error: --ca-bundle .*no-such-bundle.pem'

# ---- URLs that are not an ACME directory
S="$CF_TMP/s-dir"
t_run "$CF" --state-dir "$S" --server "https://127.0.0.1:$PEBBLE_PORT/acme/nothere" \
	--ca-bundle "$PEBBLE_CA" "${REG[@]}" --eab-kid "$EAB_KID" \
	--eab-hmac-key-file "$EAB_HMAC_FILE"
expect "404 directory URL: exit 2, says it is not an ACME directory" 2 \
	'^error: https://[^ ]*/acme/nothere is not an ACME directory \(.*404.*\): .*https://acme.example.com/directory.*newNonce, newAccount and newOrder'
no_account "$S" "404 directory URL"

port=$(cf_freeports 1)
printf '%s\n' '[{"match":{"path":"^/dir$"},"action":{"status":200,"content_type":"application/json","body":"{\"status\":\"ok\",\"version\":\"2.1\"}"}}]' \
	>"$CF_TMP/rules-json.json"
if faultproxy_start json "$port" --rules "$CF_TMP/rules-json.json"; then
	t_run "$CF" --state-dir "$S" --server "$FP_URL/dir" --ca-bundle "$PEBBLE_CA" \
		"${REG[@]}" --eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE"
	expect "JSON that is not a directory: exit 2, says what a directory looks like" 2 \
		'is not an ACME directory \(its JSON has no "newNonce"\).*newNonce, newAccount and newOrder'
	cf_stop_pid "$FP_PID"
else
	t_fail "JSON that is not a directory: start faultproxy"
fi

# ---- an EAB key id the CA does not know
S="$CF_TMP/s-kid"
t_run "$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" \
	"${REG[@]}" --eab-kid no-such-kid --eab-hmac-key-file "$EAB_HMAC_FILE"
expect "unknown EAB key id: advice names the key id" 1 \
	"^error: the CA does not know the EAB key id 'no-such-kid': give --eab-kid"
no_account "$S" "unknown EAB key id"

# ---- --eab-kid other than the existing account's
S="$CF_TMP/s-second"
t_check "register with $EAB_KID" "$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$PEBBLE_CA" "${REG[@]}" --eab-kid "$EAB_KID" \
	--eab-hmac-key-file "$EAB_HMAC_FILE"
acct=$(find "$S/accounts" -name account.json)
if [ "$(jq -r .eab_kid "$acct" 2>/dev/null)" = "$EAB_KID" ] &&
	! grep -qF "$EAB_HMAC" "$acct"; then
	t_pass "account.json records the EAB key id, not the HMAC key"
else
	t_fail "account.json records the EAB key id, not the HMAC key" "$(cat "$acct")"
fi
cp "$acct" "$CF_TMP/account.json.before"
t_run "$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" \
	"${REG[@]}" --eab-kid "$EAB_KID2" --eab-hmac-key-file "$EAB_HMAC2_FILE"
expect "account register with another --eab-kid: exit 2, says how to use a second account" 2 \
	"^error: --eab-kid '$EAB_KID2' differs from the EAB key id '$EAB_KID'.*one account per directory URL per state folder.*--state-dir"
t_run "$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" \
	issue -d second.errors.test --http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
	--eab-kid "$EAB_KID2" --eab-hmac-key-file "$EAB_HMAC2_FILE"
expect "issue with another --eab-kid: exit 2" 2 "differs from the EAB key id '$EAB_KID'"
if cmp -s "$acct" "$CF_TMP/account.json.before" && [ ! -e "$S/certs/second.errors.test" ] &&
	[ "$(find "$S/accounts" -name account.json | wc -l)" -eq 1 ]; then
	t_pass "another --eab-kid changed nothing"
else
	t_fail "another --eab-kid changed nothing"
fi
t_check "the same --eab-kid again is fine" "$CF" --state-dir "$S" \
	--server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" "${REG[@]}" \
	--eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE"
jq 'del(.eab_kid)' "$acct" >"$acct.new" && mv "$acct.new" "$acct"
t_check "an account without a recorded key id: --eab-kid is not compared" \
	"$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" \
	"${REG[@]}" --eab-kid "$EAB_KID2" --eab-hmac-key-file "$EAB_HMAC2_FILE"

# ---- a CA that answers 500 with a problem document to every try
S="$CF_TMP/s-500"
port=$(cf_freeports 1)
jq -n '[{match: {method: "POST", path: "^/order-plz$"},
	action: {status: 500, content_type: "application/problem+json",
		body: ({type: "urn:ietf:params:acme:error:serverInternal",
			detail: "order database unavailable, incident INC-4711",
			subproblems: [{type: "urn:ietf:params:acme:error:serverInternal",
				detail: "shard 7 down",
				identifier: {type: "dns", value: "e500.errors.test"}}]}
			| tojson)}}]' >"$CF_TMP/rules-500.json"
if faultproxy_start e500 "$port" --rules "$CF_TMP/rules-500.json"; then
	t_run "$CF" --state-dir "$S" --server "$FP_URL/dir" --ca-bundle "$PEBBLE_CA" \
		issue -d e500.errors.test --http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
		--agree-tos --eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE"
	expect "500 every time: the CA's last problem document (type, detail, subproblems)" 1 \
		'^error: .*HTTP 500 after [0-9]+ attempts; the CA.s last answer: urn:ietf:params:acme:error:serverInternal: order database unavailable, incident INC-4711 \[e500.errors.test: urn:ietf:params:acme:error:serverInternal: shard 7 down\]'
	n=$(grep -c ' POST /order-plz 500 ' "$FP_LOG")
	[ "$n" -ge 2 ] && t_pass "500 every time: retried first ($n tries)" ||
		t_fail "500 every time: retried first" "$n tries"
	cf_stop_pid "$FP_PID"
else
	t_fail "500 every time: start faultproxy"
fi

# ---- input files that are missing: exit 2 (bad input), not 1
S="$CF_TMP/s-input"
H=(--http-port "$HTTP01_PORT" --http-address 127.0.0.1)
t_run cf_run issue -d a.errors.test "${H[@]}" --iis-config "$CF_TMP/no/applicationHost.config" \
	--iis-site 1
expect "missing --iis-config: exit 2" 2 '^error: --iis-config: .*no/applicationHost.config: no such file'
t_run "$CF" --state-dir "$S" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" \
	"${REG[@]}" --eab-kid "$EAB_KID" --eab-hmac-key-file "$CF_TMP/no-such.key"
expect "missing --eab-hmac-key-file: exit 2" 2 '^error: --eab-hmac-key-file: .*no-such.key: no such file'
t_run cf_run issue -d a.errors.test "${H[@]}" --eab-kid "$EAB_KID" \
	--eab-hmac-key-file "$CF_TMP/no-such.key"
expect "issue, missing --eab-hmac-key-file: exit 2" 2 '^error: --eab-hmac-key-file: .*no-such.key: no such file'
if [ -z "$(find "$STATE" -name 'a.errors.test*' 2>/dev/null)" ]; then
	t_pass "issue, missing --eab-hmac-key-file: nothing in the state folder"
else
	t_fail "issue, missing --eab-hmac-key-file: nothing in the state folder" \
		"$(find "$STATE" -name 'a.errors.test*')"
fi
t_run cf_run issue -d a.errors.test --validation dns-01 --dns rfc2136 \
	--dns-server 127.0.0.1:53 --tsig-key-file "$CF_TMP/no-such.tsig"
expect "missing --tsig-key-file: exit 2" 2 'no-such.tsig'
t_run "$CF" iis sites --config "$CF_TMP/no/applicationHost.config"
expect "iis sites with a missing --config: exit 2" 2 'no such file'
no_account "$S" "missing input files"

# ---- revoke: confirmation, then what still serves the certificate
S="$STATE"
CONF="$CF_TMP/applicationHost.config"
cat >"$CONF" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Shop" id="2">
        <application path="/">
          <virtualDirectory path="/" physicalPath="C:\inetpub\shop" />
        </application>
        <bindings>
          <binding protocol="http" bindingInformation="*:80:shop.errors.test" />
          <binding protocol="https" bindingInformation="*:443:shop.errors.test" sslFlags="3" />
          <binding protocol="https" bindingInformation="*:8443:other.example" sslFlags="3" />
        </bindings>
      </site>
    </sites>
  </system.applicationHost>
</configuration>
EOF
PW="$CF_TMP/pfx-password"
(umask 077 && echo "pw-$RANDOM" >"$PW")
mkdir -p "$CF_TMP/ccs"
t_check "issue with stores and an IIS site" cf_run issue -d www.errors.test "${H[@]}" \
	--name shop --agree-tos --eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE" \
	--iis-config "$CONF" --iis-site Shop --iis-host-filter '*.errors.test' \
	--pem-dir "$CF_TMP/pem" --pfx-file "$CF_TMP/shop.pfx" --ccs-dir "$CF_TMP/ccs" \
	--pfx-password-file "$PW"
serial=$(openssl x509 -in "$STATE/certs/shop/cert.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
status_of() {
	curl -sf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT_URL/cert-status-by-serial/$1" | jq -r .Status
}
cp "$STATE/renewals/shop.json" "$CF_TMP/shop.json.before"
t_run cf_run revoke shop </dev/null
expect "revoke without --yes and no terminal: exit 2, says to add --yes" 2 \
	'^error: revoking shop cannot be undone .*add --yes'
if [ "$(status_of "$serial")" = Valid ] && cmp -s "$STATE/renewals/shop.json" "$CF_TMP/shop.json.before" &&
	[ "$(pebble_count_requests /revoke-cert)" = 0 ]; then
	t_pass "revoke without --yes changed nothing"
else
	t_fail "revoke without --yes changed nothing" "status $(status_of "$serial")"
fi
t_run cf_run revoke shop --yes </dev/null
[ "$T_RC" -eq 0 ] && t_pass "revoke --yes: exit 0" || t_fail "revoke --yes: exit 0" "exit $T_RC: $(tail -n 2 "$T_ERR")"
[ "$(status_of "$serial")" = Revoked ] && t_pass "Pebble: revoked" || t_fail "Pebble: revoked" "$(status_of "$serial")"
out=$(cat "$T_OUT")
ok=1
for want in "state folder: $STATE/certs/shop" "PEM folder: $CF_TMP/pem" \
	"PFX file: $CF_TMP/shop.pfx" "IIS Centralized Certificate Store: $CF_TMP/ccs" \
	"IIS site 'Shop' ($CONF): https binding *:443:shop.errors.test (sslFlags SNI,CCS)" \
	"certferry issue --name shop -d www.errors.test"; do
	grep -qF -- "$want" <<<"$out" || { ok=0; echo "#   missing: $want"; }
done
grep -qF "other.example" <<<"$out" && { ok=0; echo "#   lists a binding of another name"; }
[ "$ok" = 1 ] && t_pass "revoke lists the stores and IIS bindings that still serve it, and how to replace it" ||
	{ t_fail "revoke lists what still serves it"; t_tail "$T_OUT" 20; }

# On a terminal (script(1) gives one), revoke asks first.
if command -v script >/dev/null 2>&1; then
	t_check "issue ask.errors.test" cf_run issue -d ask.errors.test "${H[@]}"
	serial=$(openssl x509 -in "$STATE/certs/ask.errors.test/cert.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
	cmd=$(printf '%q ' "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
		--ca-bundle "$PEBBLE_CA" revoke ask.errors.test)
	t_run script -qec "$cmd" /dev/null <<<"no"
	if [ "$T_RC" -eq 1 ] && grep -q 'Revoke the certificate .* of ask.errors.test' "$T_OUT" &&
		[ "$(status_of "$serial")" = Valid ]; then
		t_pass "revoke on a terminal asks; 'no' revokes nothing"
	else
		t_fail "revoke on a terminal asks; 'no' revokes nothing" "exit $T_RC, $(status_of "$serial")"
		t_tail "$T_OUT"
	fi
	t_run script -qec "$cmd" /dev/null <<<"yes"
	if [ "$T_RC" -eq 0 ] && [ "$(status_of "$serial")" = Revoked ]; then
		t_pass "revoke on a terminal: 'yes' revokes"
	else
		t_fail "revoke on a terminal: 'yes' revokes" "exit $T_RC, $(status_of "$serial")"
		t_tail "$T_OUT"
	fi
else
	t_skip "revoke on a terminal" "script(1) is not installed"
fi
# A port something else listens on: the responder cannot bind it.  The
# run fails before anything is ordered, naming the port, whether the
# responder runs in its own process (the default: it answers while the
# parent goes on, and is asked before the order) or in certferry's.
busy=$(cf_freeports 1)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(120)' "$busy" "$CF_TMP/busy.ready" &
busy_pid=$!
for ((i = 0; i < 100; i++)); do [ -e "$CF_TMP/busy.ready" ] && break; sleep 0.05; done
for mode in sep nosep; do
	orders=$(pebble_count_requests /order-plz)
	if [ "$mode" = nosep ]; then env_run=(env CERTFERRY_NO_PRIVSEP=1); else env_run=(env); fi
	t_run "${env_run[@]}" "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
		--ca-bundle "$PEBBLE_CA" issue -d "busy-$mode.errors.test" \
		--http-port "$busy" --http-address 127.0.0.1
	if [ "$T_RC" -ne 0 ] && grep -q "$busy" "$T_ERR" &&
		[ "$(pebble_count_requests /order-plz)" = "$orders" ] &&
		[ ! -e "$STATE/renewals/busy-$mode.errors.test.json" ]; then
		t_pass "$mode: a busy http-01 port fails before the order, naming the port (exit $T_RC)"
	else
		t_fail "$mode: a busy http-01 port fails before the order" \
			"exit $T_RC, orders $orders -> $(pebble_count_requests /order-plz): $(head -c 300 "$T_ERR")"
	fi
done
kill "$busy_pid" 2>/dev/null
wait "$busy_pid" 2>/dev/null
t_done
