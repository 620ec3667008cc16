#!/usr/bin/env bash
# Taking over IIS from win-acme, against Pebble, on the shared 40-site farm:
# HTTP.sys bindings (sslFlags 1) are refused before ordering without
# --iis-migrate, shown by --dry-run with it, and converted to CCS bindings
# byte for byte (only the sslFlags values change), with the netsh script
# that finishes the move written in the state folder and reported by `iis
# check` until it is deleted.  A site renamed in IIS is followed by its id
# (renew says so and records it); a site whose id is gone is named with its
# look-alikes.  --iis-site '*' covers every site, also one added later.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl cmp diff jq
iis_farm_setup "iis migrate end to end"
t_pebble_start

# only_flags LABEL ORIG NEW N: same size, N lines differ, and they differ
# only in the value of sslFlags.
only_flags() {
	local label=$1 orig=$2 new=$3 n=$4 changed
	changed=$({ diff "$orig" "$new" || true; } | grep -c '^>')
	if [ "$(wc -c <"$orig")" -eq "$(wc -c <"$new")" ] && [ "$changed" -eq "$n" ] &&
		cmp -s <(sed 's/sslFlags="[0-9]*"/sslFlags=X/g' "$orig") \
			<(sed 's/sslFlags="[0-9]*"/sslFlags=X/g' "$new"); then
		t_pass "$label: only the sslFlags of $n binding(s) changed, every other byte kept"
	else
		t_fail "$label: only the sslFlags of $n binding(s) changed" "$changed lines changed"
		{ diff "$orig" "$new" || true; } | head -n 10 | sed 's/^/#   /'
	fi
}

cp "$CONF" "$CF_TMP/orig.config"
DELTA="Tenant 04 - delta"

# ---- without --iis-migrate: said before ordering, in dry run and for real ----
t_expect_rc "HTTP.sys bindings without --iis-migrate: dry run refuses" 2 \
	iis_issue --iis-site "$DELTA" --install iis --dry-run
if [ "$T_RC" -eq 2 ] && grep -q '^error: IIS would not serve the new certificate for delta-shop.example.com.*HTTP.sys.*add --iis-migrate' "$T_ERR"; then
	t_pass "dry run: says the names would not be served and how to fix it (exit 2)"
else
	t_fail "dry run: says the names would not be served and how to fix it" "rc $T_RC: $(head -c 400 "$T_ERR")"
fi
t_expect_rc "HTTP.sys bindings without --iis-migrate: issue refuses" 2 \
	iis_issue --iis-site "$DELTA" --install iis
if [ "$T_RC" -eq 2 ] && [ ! -d "$STATE/certs" ] && [ -z "$(ls -A "$CCS")" ] &&
	cmp -s "$CONF" "$CF_TMP/orig.config"; then
	t_pass "issue: refused before ordering, nothing written (exit 2)"
else
	t_fail "issue: refused before ordering, nothing written" "rc $T_RC: $(head -c 300 "$T_ERR")"
fi

# ---- dry run with --iis-migrate: the plan and the script, nothing written ----
t_check "dry run with --iis-migrate" \
	iis_issue --iis-site "$DELTA" --install iis --iis-migrate --dry-run
if grep -q '^  migrate  *delta-shop.example.com  *\*:443:delta-shop.example.com sslFlags=1->3' "$T_OUT" &&
	grep -q '^  migrate  *www.delta-shop.example.com ' "$T_OUT" &&
	grep -q "netsh script: $STATE/iis-netsh/delta-shop.example.com.cmd (would be written)" "$T_OUT" &&
	grep -q '| netsh http delete sslcert hostnameport=www.delta-shop.example.com:443' "$T_OUT"; then
	t_pass "dry run: shows the bindings to migrate and the netsh script"
else
	t_fail "dry run: shows the bindings to migrate and the netsh script" "$(head -c 600 "$T_OUT")"
fi
if cmp -s "$CONF" "$CF_TMP/orig.config" && [ ! -d "$STATE/iis-netsh" ] && [ ! -d "$STATE/certs" ]; then
	t_pass "dry run: config and state untouched"
else
	t_fail "dry run: config and state untouched"
fi

# ---- for real ----
t_check "issue --iis-migrate for '$DELTA'" \
	iis_issue --iis-site "$DELTA" --install iis --iis-migrate
only_flags "delta" "$CF_TMP/orig.config" "$CONF" 2
if grep -q 'bindingInformation="\*:443:delta-shop.example.com" sslFlags="3"' "$CONF" &&
	grep -q 'bindingInformation="\*:443:www.delta-shop.example.com" sslFlags="3"' "$CONF"; then
	t_pass "delta: both https bindings are SNI+CCS (sslFlags 3)"
else
	t_fail "delta: both https bindings are SNI+CCS (sslFlags 3)"
fi
if [ -f "$CCS/delta-shop.example.com.pfx" ] && [ -f "$CCS/www.delta-shop.example.com.pfx" ]; then
	t_pass "delta: a PFX per host in the CCS folder"
else
	t_fail "delta: a PFX per host in the CCS folder" "$(ls "$CCS")"
fi
SCRIPT="$STATE/iis-netsh/delta-shop.example.com.cmd"
if grep -q "netsh script: $SCRIPT" "$T_OUT"; then
	t_pass "delta: prints the path of the netsh script"
else
	t_fail "delta: prints the path of the netsh script" "$(head -c 600 "$T_OUT")"
fi
if grep -q '^  delta-shop.example.com  *ok via delta-shop.example.com.pfx' "$T_OUT"; then
	t_pass "delta: IIS now serves the hosts from CCS"
else
	t_fail "delta: IIS now serves the hosts from CCS" "$(cat "$T_OUT")"
fi
if [ -f "$SCRIPT" ]; then
	want=$(printf '%s\r\n' \
		'netsh http delete sslcert hostnameport=delta-shop.example.com:443' \
		'netsh http delete sslcert hostnameport=www.delta-shop.example.com:443')
	got=$(grep '^netsh' "$SCRIPT")
	if [ "$got" = "$want" ]; then
		t_pass "netsh script: one delete per migrated binding, nothing else (the farm has a ccs=443 record)"
	else
		t_fail "netsh script: one delete per migrated binding" "$(cat -A "$SCRIPT" | head -20)"
	fi
	if [ "$(grep -c $'\r$' "$SCRIPT")" -eq "$(wc -l <"$SCRIPT")" ] && head -n 1 "$SCRIPT" | grep -q '^@echo off'; then
		t_pass "netsh script: a .cmd file with CRLF line ends"
	else
		t_fail "netsh script: a .cmd file with CRLF line ends"
	fi
else
	t_fail "netsh script written" "$SCRIPT missing"
fi
t_run env CERTFERRY_STATE_DIR="$STATE" "$CF" iis check --config "$CONF" --ccs-dir "$CCS" --pfx-password-file "$PW"
if [ "$T_RC" -eq 1 ] && grep -q "^waiting  *delta-shop.example.com:443  *$SCRIPT" "$T_OUT" &&
	grep -q "^waiting  *www.delta-shop.example.com:443" "$T_OUT"; then
	t_pass "iis check: reports the bindings waiting for the netsh script (exit 1)"
else
	t_fail "iis check: reports the bindings waiting for the netsh script" "rc $T_RC: $(head -c 600 "$T_OUT")"
fi
mv "$SCRIPT" "$CF_TMP/ran.cmd"
t_run env CERTFERRY_STATE_DIR="$STATE" "$CF" iis check --config "$CONF" --ccs-dir "$CCS" --pfx-password-file "$PW"
# A check that ran (its table, with the migrated host in it; exit 1 for
# the farm's other CCS bindings, which have no PFX file) and lists nothing
# as waiting: an empty output from a failed run proves nothing.
if [ "$T_RC" -le 1 ] && grep -q '^STATUS  *HOST' "$T_OUT" &&
	grep -q ' delta-shop.example.com ' "$T_OUT" && ! grep -q '^waiting' "$T_OUT"; then
	t_pass "iis check: nothing waits once the script is deleted"
else
	t_fail "iis check: nothing waits once the script is deleted" "rc $T_RC: $(head -c 400 "$T_OUT") $(head -c 200 "$T_ERR")"
fi
# ---- win-acme put its HTTP.sys binding back: the next renew repairs it ----
cp "$CONF" "$CF_TMP/migrated.config"
sed -i 's/bindingInformation="\*:443:delta-shop.example.com" sslFlags="3"/bindingInformation="*:443:delta-shop.example.com" sslFlags="1"/' "$CONF"
t_check "renew (not due) after the binding went back to HTTP.sys" cf_run renew --name delta-shop.example.com
if cmp -s "$CONF" "$CF_TMP/migrated.config" && [ -f "$SCRIPT" ] &&
	grep -q '^netsh http delete sslcert hostnameport=delta-shop.example.com:443' "$SCRIPT"; then
	t_pass "renew: the binding is migrated again and the netsh script written again"
else
	t_fail "renew: the binding is migrated again and the netsh script written again" "$(head -c 400 "$T_OUT")"
fi
rm -f "$SCRIPT"
REN="$STATE/renewals/delta-shop.example.com.json"
if [ "$(jq -r '.spec.iis.site_ids[0] + "|" + .spec.iis.site_names[0] + "|" + .spec.iis.site_hosts[0]' "$REN")" = \
	"795425564|Tenant 04 - delta|delta-shop.example.com,www.delta-shop.example.com" ]; then
	t_pass "renewal records the site id, its name and hosts"
else
	t_fail "renewal records the site id, its name and hosts" "$(jq -c .spec.iis "$REN")"
fi

# ---- the site is renamed in IIS: the renewal follows its id ----
sed -i 's/<site name="Tenant 04 - delta" id="795425564">/<site name="Delta Shop" id="795425564">/' "$CONF"
cp "$CONF" "$CF_TMP/renamed.config"
t_check "renew --force after the site was renamed" cf_run renew --force --name delta-shop.example.com
if grep -q "IIS site id 795425564 was renamed from 'Tenant 04 - delta' to 'Delta Shop': following its id" "$T_ERR" &&
	grep -q '1 renewed, 0 failed' "$T_OUT"; then
	t_pass "renew: says the site was renamed and renews"
else
	t_fail "renew: says the site was renamed and renews" "$(head -c 600 "$T_ERR") $(head -c 300 "$T_OUT")"
fi
if [ "$(jq -r '[.history[] | select(.action == "iis-site")][0].detail' "$REN")" != null ] &&
	[ "$(jq -r '.spec.iis.site_names[0]' "$REN")" = "Delta Shop" ]; then
	t_pass "renew: the rename is in the history and the definition"
else
	t_fail "renew: the rename is in the history and the definition" "$(jq -c '.history, .spec.iis' "$REN")"
fi
if cmp -s "$CONF" "$CF_TMP/renamed.config"; then
	t_pass "renew: bindings already right, config not changed"
else
	t_fail "renew: bindings already right, config not changed"
fi

# ---- the id is gone: the error names the look-alikes and the repair ----
sed -i 's/<site name="Delta Shop" id="795425564">/<site name="Delta Shop" id="4242">/' "$CONF"
t_expect_rc "renew --force after the site id changed (exit 1)" 1 cf_run renew --force --name delta-shop.example.com
if grep -q "IIS site id 795425564 ('Delta Shop') is no longer in .*sites with its name or hosts: 'Delta Shop' (id 4242).*certferry issue --name delta-shop.example.com" "$T_ERR" "$T_OUT"; then
	t_pass "renew: the error names the site with its name and how to repair"
else
	t_fail "renew: the error names the site with its name and how to repair" "$(head -c 600 "$T_ERR") $(head -c 600 "$T_OUT")"
fi
cp "$CF_TMP/renamed.config" "$CONF"

# ---- every site: --iis-site '*' (hosts under example.net), then a new site ----
cp "$CONF" "$CF_TMP/before-all.config"
t_check "issue --iis-site '*' over the farm" \
	iis_issue --name farm-net --iis-site '*' --iis-host-filter '*.example.net' \
	--install iis --iis-migrate
for h in alpha.example.net echo.example.net golf.example.net www.sierra.example.net kilo.example.net; do
	if [ -f "$CCS/$h.pfx" ]; then
		t_pass "'*': $h.pfx written"
	else
		t_fail "'*': $h.pfx written"
	fi
done
# echo: HTTP.sys binding in Tenant 05 migrated; alpha: binding added to its
# own site (Tenant 01), not the first site
if grep -q 'bindingInformation="\*:443:echo.example.net" sslFlags="3"' "$CONF" &&
	awk '/<site name="Tenant 01 - alpha"/,/<\/site>/' "$CONF" | grep -q 'bindingInformation="\*:443:alpha.example.net" sslFlags="3"' &&
	awk '/<site name="Tenant 11 - kilo"/,/<\/site>/' "$CONF" | grep -q 'bindingInformation="\*:443:kilo.example.net" sslFlags="3"'; then
	t_pass "'*': each binding in the site that owns its host"
else
	t_fail "'*': each binding in the site that owns its host" "$({ diff "$CF_TMP/before-all.config" "$CONF" || true; } | head -20)"
fi
if [ "$(jq -r '.spec.iis.sites[0]' "$STATE/renewals/farm-net.json")" = '*' ]; then
	t_pass "'*': recorded as every site"
else
	t_fail "'*': recorded as every site"
fi
# a site added later is covered by the next renewal
awk '{ print } /<sites>/ && !done { print "      <site name=\"Later\" id=\"5000\">\r"; print "        <bindings>\r"; print "          <binding protocol=\"http\" bindingInformation=\"*:80:later.example.net\" />\r"; print "        </bindings>\r"; print "      </site>\r"; done = 1 }' \
	"$CONF" >"$CF_TMP/later.config" && cp "$CF_TMP/later.config" "$CONF"
t_check "renew --force after a site was added" cf_run renew --force --name farm-net
if [ -f "$CCS/later.example.net.pfx" ] &&
	awk '/<site name="Later"/,/<\/site>/' "$CONF" | grep -q 'bindingInformation="\*:443:later.example.net" sslFlags="3"'; then
	t_pass "'*': the site added later is covered by the renewal"
else
	t_fail "'*': the site added later is covered by the renewal" "$(ls "$CCS") $(head -c 300 "$T_ERR")"
fi
t_done
