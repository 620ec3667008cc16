#!/usr/bin/env bash
# IIS end to end against Pebble: host names taken from a site of the shared
# 40-site farm file, PFX files written into a CCS folder (legacy and
# aes256), https CCS bindings added byte-preserving, second run and dry run
# change nothing, a binding conflict with another site is refused.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl cmp diff
iis_farm_setup "iis end to end"
t_pebble_start

# pfx_check LABEL FILE NAME ENC: opens with the password, holds a key that
# matches the leaf, the leaf's SANs contain NAME, the chain is inside, and
# the PBE algorithm matches ENC (3DES or AES-256).
pfx_check() {
	local label=$1 f=$2 name=$3 enc=$4 info
	if [ ! -f "$f" ]; then
		t_fail "$label: $f exists"
		return
	fi
	t_pass "$label: $(basename "$f") exists"
	if openssl pkcs12 -in "$f" -passin "file:$PW" -nokeys -clcerts -out "$CF_TMP/leaf.pem" 2>/dev/null &&
		openssl pkcs12 -in "$f" -passin "file:$PW" -nocerts -nodes -out "$CF_TMP/key.pem" 2>/dev/null &&
		openssl pkcs12 -in "$f" -passin "file:$PW" -nokeys -cacerts -out "$CF_TMP/ca.pem" 2>/dev/null; then
		t_pass "$label: opens with the password"
	else
		t_fail "$label: opens with the password"
		return
	fi
	if cert_key_matches "$CF_TMP/leaf.pem" "$CF_TMP/key.pem"; then
		t_pass "$label: key matches the leaf"
	else
		t_fail "$label: key matches the leaf"
	fi
	if cert_sans "$CF_TMP/leaf.pem" | grep -qxF "$name"; then
		t_pass "$label: leaf names $name"
	else
		t_fail "$label: leaf names $name" "SANs: $(cert_sans "$CF_TMP/leaf.pem" | tr '\n' ' ')"
	fi
	if grep -q 'BEGIN CERTIFICATE' "$CF_TMP/ca.pem"; then
		t_pass "$label: holds the intermediates"
	else
		t_fail "$label: holds the intermediates"
	fi
	info=$(openssl pkcs12 -in "$f" -passin "file:$PW" -info -noout 2>&1)
	if grep -q "$enc" <<<"$info"; then
		t_pass "$label: encrypted with $enc"
	else
		t_fail "$label: encrypted with $enc" "$(head -c 300 <<<"$info")"
	fi
	if [ "$(file_mode "$f")" = 600 ]; then
		t_pass "$label: mode 0600"
	else
		t_fail "$label: mode 0600" "mode $(file_mode "$f")"
	fi
}

# only_added ORIG NEW N: NEW is ORIG plus exactly N inserted lines.
only_added() {
	local label=$1 orig=$2 new=$3 n=$4 removed added
	removed=$(diff "$orig" "$new" | grep -c '^<')
	added=$(diff "$orig" "$new" | grep -c '^>')
	if [ "$removed" -eq 0 ] && [ "$added" -eq "$n" ]; then
		t_pass "$label: only $n binding line(s) added, every other byte kept"
	else
		t_fail "$label: only $n binding line(s) added" "removed $removed, added $added"
		diff "$orig" "$new" | head -n 10 | sed 's/^/#   /'
	fi
}

# ---- dry run: plans, writes nothing ----
cp "$CONF" "$CF_TMP/orig.config"
t_check "dry run plans the site" iis_issue --iis-site "Tenant 01 - alpha" \
	--install iis --dry-run
if grep -q 'alpha.example.net' "$T_OUT" && grep -q '\*:443:alpha.example.net' "$T_OUT"; then
	t_pass "dry run: shows the binding it would add"
else
	t_fail "dry run: shows the binding it would add" "$(head -c 400 "$T_OUT")"
fi
if cmp -s "$CONF" "$CF_TMP/orig.config" && [ -z "$(ls -A "$CCS")" ] &&
	[ ! -d "$STATE/certs" ]; then
	t_pass "dry run: config, CCS folder and state untouched"
else
	t_fail "dry run: config, CCS folder and state untouched"
fi

# ---- issue for a site with one http host: PFX + new CCS binding ----
t_check "issue for IIS site 'Tenant 01 - alpha' into CCS (legacy PFX)" \
	iis_issue --iis-site "Tenant 01 - alpha" --install iis
if grep -q '^  alpha.example.net  *ok via alpha.example.net.pfx (\*:443:alpha.example.net), expires 20' "$T_OUT"; then
	t_pass "alpha: after install, reports the PFX serving the host and its expiry"
else
	t_fail "alpha: after install, reports the PFX serving the host" "$(cat "$T_OUT")"
fi
pfx_check "alpha" "$CCS/alpha.example.net.pfx" alpha.example.net "TripleDES"
only_added "alpha" "$CF_TMP/orig.config" "$CONF" 1
if grep -q 'bindingInformation="\*:443:alpha.example.net" sslFlags="3"' "$CONF"; then
	t_pass "alpha: https *:443:alpha.example.net sslFlags=3 added"
else
	t_fail "alpha: https *:443:alpha.example.net sslFlags=3 added"
fi
# (diff exits 1 when the files differ: read its output, not its status)
if { diff "$CF_TMP/orig.config" "$CONF" || true; } | grep '^>' | grep -q $'\r$'; then
	t_pass "alpha: added line keeps the file's CRLF line ends"
else
	t_fail "alpha: added line keeps the file's CRLF line ends"
fi
if [ "$(head -c 3 "$CONF" | od -An -tx1 | tr -d ' ')" = efbbbf ]; then
	t_pass "alpha: byte-order mark kept"
else
	t_fail "alpha: byte-order mark kept"
fi
if ls "$CF_TMP"/applicationHost.config.certferry-*.bak >/dev/null 2>&1 &&
	cmp -s "$(ls "$CF_TMP"/applicationHost.config.certferry-*.bak | head -n 1)" "$CF_TMP/orig.config"; then
	t_pass "alpha: backup of the original written"
else
	t_fail "alpha: backup of the original written"
fi
t_check "edited config still parses" "$CF" iis sites --config "$CONF"

# ---- second run: nothing changes in the config ----
cp "$CONF" "$CF_TMP/after1.config"
t_check "second issue for the same site" \
	iis_issue --iis-site "Tenant 01 - alpha" --install iis
if cmp -s "$CONF" "$CF_TMP/after1.config"; then
	t_pass "second run: config not changed"
else
	t_fail "second run: config not changed"
fi

# ---- IDN site already covered by CCS; AES-256 PFX ----
t_check "issue for the IDN site with --pfx-format aes256" \
	iis_issue --iis-site "Buecher Shop" --install iis --pfx-format aes256
pfx_check "idn" "$CCS/bücher.example.de.pfx" xn--bcher-kva.example.de "AES-256"
if cmp -s "$CONF" "$CF_TMP/after1.config"; then
	t_pass "idn: already covered by a CCS binding, config not changed"
else
	t_fail "idn: already covered by a CCS binding, config not changed"
fi

# ---- iis check sees the hosts served ----
t_run "$CF" iis check --config "$CONF" --ccs-dir "$CCS" --pfx-password-file "$PW"
if grep -q 'alpha.example.net' "$T_OUT"; then
	t_pass "iis check reports alpha.example.net"
else
	t_fail "iis check reports alpha.example.net" "$(head -c 400 "$T_OUT")"
fi

# ---- a binding that exists in another site is refused ----
CONF2="$CF_TMP/conflict.config"
cp "$CF_ROOT/tests/fixtures/iis/conflict.config" "$CONF2"
cp "$CONF2" "$CF_TMP/conflict.orig"
t_expect_rc "conflicting binding in another site is refused (exit 2)" 2 \
	cf_run issue --http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
	--iis-config "$CONF2" --iis-site Shop --ccs-dir "$CCS" \
	--pfx-password-file "$PW" --install iis --dry-run
if grep -q '^error:.*Legacy Shop' "$T_ERR"; then
	t_pass "conflict: the error names the other site"
else
	t_fail "conflict: the error names the other site" "$(head -c 400 "$T_ERR")"
fi
if cmp -s "$CONF2" "$CF_TMP/conflict.orig"; then
	t_pass "conflict: config untouched"
else
	t_fail "conflict: config untouched"
fi
t_done
