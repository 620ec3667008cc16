#!/usr/bin/env bash
# renew --jobs 2 with two certificates installed into one
# applicationHost.config: both renewals edit the file at once, and the
# per-file lock (STATE/locks/iis-*.lock) must keep every binding.  Each
# round puts the original file back (as a restore from backup would), so
# that both renewals have a binding to add; 6 rounds, every binding present
# after each.  Without the lock one binding is lost in most rounds.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
iis_farm_setup "iis renew --jobs 2"
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC

ORIG="$CF_TMP/orig.config"
cp "$FARM" "$ORIG"

SITES=("Tenant 01 - alpha" "Tenant 06 - foxtrot")
HOSTS=(alpha.example.net foxtrot-shop.example.com)

# all_bound LABEL: every host has its https CCS binding in $CONF.
all_bound() {
	local label=$1 h missing=""
	for h in "${HOSTS[@]}"; do
		grep -q "bindingInformation=\"\*:443:$h\" sslFlags=\"3\"" "$CONF" ||
			missing="$missing $h"
	done
	if [ -z "$missing" ]; then
		t_pass "$label: every binding present"
	else
		t_fail "$label: every binding present" "missing:$missing"
	fi
}

for s in "${SITES[@]}"; do
	t_check "issue for IIS site '$s'" cf_run issue --agree-tos \
		--http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
		--iis-config "$CONF" --iis-site "$s" --install iis \
		--ccs-dir "$CCS" --pfx-password-file "$PW"
done
all_bound "after issue"

for round in 1 2 3 4 5 6; do
	cp "$ORIG" "$CONF"
	t_run cf_run renew --force --jobs 2
	if [ "$T_RC" = 0 ] && grep -q '^renew: 2 renewed, 0 failed' "$T_OUT"; then
		t_pass "round $round: renew --force --jobs 2 renewed both"
	else
		t_fail "round $round: renew --force --jobs 2 renewed both" \
			"status $T_RC: $(tail -n 3 "$T_OUT" "$T_ERR" | tr '\n' ' ')"
	fi
	all_bound "round $round"
	t_check "round $round: the file still parses" "$CF" iis sites --config "$CONF"
done
if ls "$STATE"/locks/iis-*.lock >/dev/null 2>&1 &&
	[ "$(file_mode "$(ls "$STATE"/locks/iis-*.lock | head -n 1)")" = 600 ]; then
	t_pass "one lock file per config in the state folder, mode 0600"
else
	t_fail "one lock file per config in the state folder, mode 0600" \
		"$(ls -l "$STATE"/locks 2>&1 | tr '\n' ' ')"
fi
t_done
