#!/usr/bin/env bash
# Many IIS sites at once, against Pebble, on the shared 40-site farm:
# --per-site makes one certificate (and one renewal, by site id) per site,
# named by the --name pattern; '*' --per-site --dry-run walks every site;
# list shows each definition's site and hosts; a CCS file claimed by two
# definitions is refused at issue and warned about by list.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
iis_farm_setup "iis many sites"
t_pebble_start

# ---- '*' --per-site --dry-run: every site of the farm, one by one ----
t_run iis_issue --iis-site '*' --per-site --install iis --iis-migrate --dry-run
nweb=$(grep -c "^== IIS site " "$T_OUT")
if grep -q "^== IIS site 1003 'Tenant 02 - bravo': certificate site-1003$" "$T_OUT" &&
	grep -q "^== IIS site 947876999 'Tenant 25 - yankee': certificate site-947876999$" "$T_OUT" &&
	grep -q "^== IIS site 2 'Intranet': no host names, skipped$" "$T_OUT" &&
	! grep -q "Farm FTP" "$T_OUT" && [ "$nweb" -ge 38 ]; then
	t_pass "'*' --per-site: every web site, one certificate each ($nweb sites), no-host sites skipped"
else
	t_fail "'*' --per-site: every web site, one certificate each" "$(head -c 800 "$T_OUT")"
fi
# the wildcard site needs dns-01: that site fails, the others go on
if grep -q '^per site: .* done, 1 failed, 2 skipped' "$T_OUT" && [ "$T_RC" -eq 2 ] &&
	grep -q '^error: \*.example.org: a wildcard name can only be validated with dns-01' "$T_ERR"; then
	t_pass "'*' --per-site: one site that cannot be done does not stop the others (exit 2)"
else
	t_fail "'*' --per-site: one failing site does not stop the others" "rc $T_RC: $(tail -n 2 "$T_OUT") $(head -c 300 "$T_ERR")"
fi
if [ ! -d "$STATE/renewals" ] && [ -z "$(ls -A "$CCS")" ]; then
	t_pass "'*' --per-site --dry-run: nothing written"
else
	t_fail "'*' --per-site --dry-run: nothing written"
fi

# ---- --per-site for real, three sites given by id and by name ----
cp "$CONF" "$CF_TMP/orig.config"
t_check "--per-site for three sites" \
	iis_issue --iis-site 1000 --iis-site 1012 --iis-site "Tenant 09 - india" \
	--per-site --install iis --iis-migrate
for id in 1000 1012 1024; do
	f="$STATE/renewals/site-$id.json"
	if [ -f "$f" ] && [ "$(jq -r '.spec.iis.sites | length' "$f")" = 1 ] &&
		[ "$(jq -r '.spec.iis.site_ids[0]' "$f")" = "$id" ]; then
		t_pass "--per-site: site-$id has its own renewal, for site id $id only"
	else
		t_fail "--per-site: site-$id has its own renewal" "$(cat "$f" 2>/dev/null | head -c 300)"
	fi
done
if [ -f "$CCS/alpha.example.net.pfx" ] && [ -f "$CCS/echo.example.net.pfx" ] &&
	[ -f "$CCS/www.india.example.net.pfx" ] &&
	openssl x509 -in "$STATE/certs/site-1024/cert.pem" -noout -ext subjectAltName 2>/dev/null |
	grep -q 'DNS:www.india.example.net' &&
	! openssl x509 -in "$STATE/certs/site-1024/cert.pem" -noout -ext subjectAltName | grep -q alpha; then
	t_pass "--per-site: each certificate has its own site's hosts only"
else
	t_fail "--per-site: each certificate has its own site's hosts only"
fi

# ---- --name pattern with {name} ----
t_check "--per-site --name 'iis-{name}'" \
	iis_issue --iis-site "Tenant 07 - golf" --per-site --name 'iis-{name}' \
	--install iis --iis-migrate
if [ -f "$STATE/renewals/iis-tenant-07---golf.json" ]; then
	t_pass "--name 'iis-{name}': named iis-tenant-07---golf"
else
	t_fail "--name 'iis-{name}'" "$(ls "$STATE/renewals")"
fi
t_expect_rc "--per-site with a --name without {id}/{name}" 2 \
	iis_issue --iis-site 1000 --per-site --name fixed --install iis --dry-run
if [ "$T_RC" -eq 2 ] && grep -q '^error: --per-site .*{id} or {name}' "$T_ERR"; then
	t_pass "--per-site --name fixed: refused (exit 2)"
else
	t_fail "--per-site --name fixed: refused" "rc $T_RC: $(head -c 300 "$T_ERR")"
fi

# ---- list: sites and hosts ----
t_check "list" cf_run list
if grep -q "^site-1024 .*india.example.net,www.india.example.net \[IIS 1024 'Tenant 09 - india'\]$" "$T_OUT"; then
	t_pass "list: identifiers are the site's hosts, with the site id and name"
else
	t_fail "list: identifiers are the site's hosts, with the site id and name" "$(cat "$T_OUT")"
fi
t_check "list --json" cf_run list --json
if [ "$(jq -r '.[] | select(.name == "site-1024") | .iis_sites[0].id + " " + .iis_sites[0].name + " " + (.iis_sites[0].hosts | join(","))' "$T_OUT")" = \
	"1024 Tenant 09 - india india.example.net,www.india.example.net" ]; then
	t_pass "list --json: iis_sites with id, name and hosts"
else
	t_fail "list --json: iis_sites with id, name and hosts" "$(head -c 600 "$T_OUT")"
fi
t_check "show site-1000" cf_run show site-1000
if grep -q "^IIS site:   1000 'Tenant 01 - alpha' (1000): alpha.example.net$" "$T_OUT"; then
	t_pass "show: the site id, name and hosts"
else
	t_fail "show: the site id, name and hosts" "$(head -c 400 "$T_OUT")"
fi

# ---- a CCS file claimed by two definitions ----
t_expect_rc "issue -d for a host another definition writes into the same CCS folder (exit 2)" 2 \
	cf_run issue --http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
	--ccs-dir "$CCS" --pfx-password-file "$PW" -d alpha.example.net \
	--name other-alpha --dry-run
if [ "$T_RC" -eq 2 ] && grep -q "^error: the CCS file .*/alpha.example.net.pfx is already written by the certificate 'site-1000'" "$T_ERR"; then
	t_pass "CCS file claimed twice: refused at issue, naming the other definition (exit 2)"
else
	t_fail "CCS file claimed twice: refused at issue" "rc $T_RC: $(head -c 400 "$T_ERR")"
fi
jq '.spec.name = "copy-1000"' "$STATE/renewals/site-1000.json" >"$STATE/renewals/copy-1000.json"
t_check "list with two definitions writing one CCS file" cf_run list
if grep -q "^warning: the CCS file .*/alpha.example.net.pfx is written by both 'copy-1000' and 'site-1000'" "$T_ERR"; then
	t_pass "CCS file claimed twice: list warns"
else
	t_fail "CCS file claimed twice: list warns" "$(head -c 400 "$T_ERR")"
fi
t_done
