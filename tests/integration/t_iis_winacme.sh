#!/usr/bin/env bash
# certferry iis import-winacme: win-acme's renewal files (tests/fixtures/
# winacme) become renewal definitions: shown without --apply (nothing
# written), written with it, listed by `renew --dry-run`, and one of them
# renewed for real through IIS-served http-01 (nginx standing in for IIS).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
skip_unless_cmd jq nginx
require_cf
t_pebble_start

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WA="$CF_TMP/win-acme"        # a copy of %ProgramData%\win-acme
cp -r "$ROOT/tests/fixtures/winacme" "$WA"
rm -f "$WA/README.md"
CONFIG="$CF_TMP/applicationHost.config"
cp "$ROOT/tests/fixtures/iis/applicationHost-webroot.config" "$CONFIG"
M="$CF_TMP/mnt"
mkdir -p "$M/inetpub/wwwroot" "$M/inetpub/sites/shop.example.test" "$M/dweb/Blog" \
	"$M/ccs" "$M/certs/blog" "$CF_TMP/byhost"
ln -s "$M/dweb/Blog" "$CF_TMP/byhost/blog.example.test"
ln -s "$M/inetpub/wwwroot" "$CF_TMP/byhost/www.blog.example.test"
printf 'ccs-secret\n' >"$CF_TMP/ccs.pw"
chmod 600 "$CF_TMP/ccs.pw"
printf '#!/bin/sh\nexit 0\n' >"$CF_TMP/dns-hook"
chmod 755 "$CF_TMP/dns-hook"
MAPS=(--iis-path-map 'C:\inetpub='"$M/inetpub" --iis-path-map 'D:\Web='"$M/dweb"
	--iis-path-map '\\fs01\ccs$='"$M/ccs" --iis-path-map 'C:\certs='"$M/certs")
orders() { pebble_count_requests /order-plz; }

# ---- without --apply: the plan, nothing written ----
t_run cf_run iis import-winacme "$WA" --iis-config "$CONFIG" "${MAPS[@]}"
if [ "$T_RC" = 1 ] && [ ! -e "$STATE/renewals" ] &&
	grep -q 'shopSiteRenewal0000001.*' "$T_OUT" &&
	grep -q "note: .*CCS password was encrypted by win-acme with Windows DPAPI .*--pfx-password-file FILE" "$T_OUT" &&
	grep -q "note: .*dns-create.ps1: give --dns-script CMD" "$T_OUT" &&
	grep -q "note: .*ExcludeHosts is not mapped" "$T_OUT" &&
	grep -q "dry run: nothing written" "$T_OUT"; then
	t_pass "dry run by default: the plan, the passwords to provide, nothing written"
else
	t_fail "dry run by default: the plan, the passwords to provide, nothing written" "rc $T_RC"
	t_show_output
fi
t_run cf_run iis import-winacme "$CF_TMP/nothing-here"
if [ "$T_RC" = 2 ] && grep -q "^error: .*nothing-here" "$T_ERR"; then
	t_pass "a folder without renewals: exit 2"
else
	t_fail "a folder without renewals: exit 2" "rc $T_RC"
	t_show_output
fi

# ---- --apply: the three that map are written ----
t_run cf_run iis import-winacme "$WA" --iis-config "$CONFIG" "${MAPS[@]}" \
	--pfx-password-file "$CF_TMP/ccs.pw" --dns-script "$CF_TMP/dns-hook" --apply
R="$STATE/renewals"
if [ "$T_RC" = 1 ] && [ "$(find "$R" -name 'winacme-*.json' | wc -l)" -eq 3 ] &&
	[ ! -e "$R/winacme-filteredRenewal0000004.json" ] &&
	grep -q "3 definitions written" "$T_OUT"; then
	t_pass "--apply writes the renewals that map completely"
else
	t_fail "--apply writes the renewals that map completely" "rc $T_RC"
	t_show_output
fi
shop="$R/winacme-shopSiteRenewal0000001.json"
if jq -e --arg cfg "$CONFIG" --arg ccs "$M/ccs" --arg pw "$CF_TMP/ccs.pw" '.spec |
	.iis.sites == ["3"] and .iis.install == true and .iis.config == $cfg and
	.validation.iis_webroot.path_maps != null and .key_type == "ec384" and
	.stores == [{kind: "ccs", path: $ccs, password_file: $pw, pfx_format: "legacy"}] and
	(.directory | test("^https://127.0.0.1"))' "$shop" >/dev/null; then
	t_pass "IIS site, site-folder validation, CCS store and IIS install mapped"
else
	t_fail "IIS site, site-folder validation, CCS store and IIS install mapped" "$(jq -c .spec "$shop")"
fi
legacy="$R/winacme-legacyDnsScript0000003.json"
sec="$STATE/secrets/winacme-legacyDnsScript0000003.pfx-password"
if jq -e --arg sec "$sec" --arg hook "$CF_TMP/dns-hook" '.spec |
	.iis.host_filter == "*.example.test" and .validation.dns.script == $hook and
	.stores[0].password_file == $sec' "$legacy" >/dev/null &&
	[ "$(cat "$sec")" = Password1 ] && [ "$(file_mode "$sec")" = 600 ]; then
	t_pass "a readable win-acme password is kept as a 0600 file"
else
	t_fail "a readable win-acme password is kept as a 0600 file" "$(jq -c .spec "$legacy")"
fi
t_run cf_run iis import-winacme "$WA" --iis-config "$CONFIG" "${MAPS[@]}" \
	--pfx-password-file "$CF_TMP/ccs.pw" --dns-script "$CF_TMP/dns-hook" --apply
if grep -q "0 definitions written" "$T_OUT" && grep -q "exists: left as it is" "$T_OUT"; then
	t_pass "a second --apply leaves the definitions alone"
else
	t_fail "a second --apply leaves the definitions alone"
	t_show_output
fi

# ---- renew --dry-run shows them ----
t_run cf_run renew --dry-run
if [ "$T_RC" = 0 ] &&
	[ "$(grep -c '^winacme-.*: due (dry run, nothing done)' "$T_OUT")" -eq 3 ]; then
	t_pass "renew --dry-run lists the imported definitions as due"
else
	t_fail "renew --dry-run lists the imported definitions as due" "rc $T_RC"
	t_show_output
fi

# ---- and one renews for real, answered by "IIS" ----
# shellcheck disable=SC2016
if nginx_start "$CF_TMP/byhost/\$host" "$HTTP01_PORT" >"$CF_TMP/nginx_start.err" 2>&1; then
	t_check "account for the imported definitions" cf_run account register \
		--agree-tos --eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE"
	before=$(orders)
	t_check "renew an imported definition" cf_run renew --name winacme-blogManualRenewal00002
	if [ "$(orders)" -gt "$before" ] && [ -s "$M/certs/blog/fullchain.pem" ] &&
		[ "$(cert_sans "$M/certs/blog/cert.pem" | tr '\n' ' ')" = "blog.example.test www.blog.example.test " ]; then
		t_pass "the imported definition issued into its PEM folder"
	else
		t_fail "the imported definition issued into its PEM folder"
		t_show_output
	fi
else
	t_fail "nginx start"
	t_tail "$CF_TMP/nginx_start.err"
fi
t_done
