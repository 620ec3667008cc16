#!/usr/bin/env bash
# Unattended renewals that never break a site (issue 9):
#  - a PFX password given only through the environment at issue time
#    survives a renewal that runs without it; no password at all is refused
#  - relative paths are recorded absolute; renew from another folder writes
#    where issue wrote
#  - preflight: read-only store folders (bind mounts), missing password
#    file, read-only config folder and webroot, a hook that is not
#    executable, a busy port: exit 2 naming the path, zero newOrder, also
#    with --dry-run and for renew
#  - issue again: zero newOrder, redelivers; --force orders
#  - drift: a tampered PEM folder, a deleted PFX, an overwritten CCS file
#    are repaired by renew with zero newOrder
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq openssl
t_pebble_start_eab
W="$CF_TMP/work"
mkdir -p "$W"
orders() { pebble_count_requests /order-plz; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
pfx_opens() { # FILE PASSWORD
	openssl pkcs12 -in "$1" -passin "pass:$2" -nokeys -clcerts -out "$CF_TMP/pfxleaf.pem" 2>/dev/null &&
		grep -q 'BEGIN CERTIFICATE' "$CF_TMP/pfxleaf.pem"
}
# no_order LABEL BEFORE: no newOrder since BEFORE
no_order() {
	local n
	n=$(orders)
	[ "$n" = "$2" ] && t_pass "$1: nothing ordered" ||
		t_fail "$1: nothing ordered" "$((n - $2)) new orders"
}
# ro_run DIR CMD...: CMD with DIR bind-mounted read-only (root ignores
# mode bits, a read-only mount it cannot).
RO_OK=0
if unshare -m sh -c 'mount --bind -o ro "$1" "$1"' sh "$W" 2>/dev/null; then
	RO_OK=1
fi
ro_run() {
	local d=$1
	shift
	t_run unshare -m sh -c 'd=$1; shift; mount --bind -o ro "$d" "$d" && exec "$@"' sh "$d" "$@"
}

# ---- 1. a password from the environment survives the timer ----
mkdir -p "$W/ccs1"
t_run env CERTFERRY_PFX_PASSWORD='Env-Only-Pw' "$CF" --state-dir "$STATE" \
	--server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" issue -d envpw.test \
	--agree-tos "${H[@]}" --ccs-dir "$W/ccs1"
[ "$T_RC" = 0 ] && t_pass "issue with CERTFERRY_PFX_PASSWORD only" ||
	t_fail "issue with CERTFERRY_PFX_PASSWORD only" "$(cat "$T_ERR")"
sec="$STATE/secrets/envpw.test.pfx-password"
if [ -f "$sec" ] && [ "$(file_mode "$sec")" = 600 ] &&
	[ "$(file_mode "$STATE/secrets")" = 700 ] &&
	[ "$(jq -r '.spec.stores[0].password_file' "$STATE/renewals/envpw.test.json")" = "$sec" ]; then
	t_pass "env password kept as a 0600 file the renewal refers to"
else
	t_fail "env password kept as a 0600 file the renewal refers to" \
		"$(jq -c .spec.stores "$STATE/renewals/envpw.test.json" 2>&1)"
fi
grep -q 'Env-Only-Pw' "$STATE/renewals/envpw.test.json" &&
	t_fail "the password is not in the definition" || t_pass "the password is not in the definition"
s0=$(jq -r .current.serial "$STATE/renewals/envpw.test.json")
# The timer: no CERTFERRY_* variable, another folder.
(cd / && env -u CERTFERRY_EAB_KID -u CERTFERRY_EAB_HMAC_KEY -u CERTFERRY_PFX_PASSWORD \
	"$CF" --state-dir "$STATE" --ca-bundle "$PEBBLE_CA" renew --force --name envpw.test \
	>"$T_OUT" 2>"$T_ERR")
grep -q '1 renewed' "$T_OUT" && t_pass "renew without the variable" ||
	t_fail "renew without the variable" "$(cat "$T_OUT" "$T_ERR")"
if pfx_opens "$W/ccs1/envpw.test.pfx" 'Env-Only-Pw' &&
	[ "$(serial_of "$CF_TMP/pfxleaf.pem" | tr 'A-F' 'a-f' | sed 's/^0*//')" != "$(echo "$s0" | sed 's/^0*//')" ]; then
	t_pass "the renewed PFX opens with the same password"
else
	t_fail "the renewed PFX opens with the same password"
fi

o0=$(orders)
t_run cf_run issue -d nopw.test "${H[@]}" --ccs-dir "$W/ccs1"
if [ "$T_RC" = 2 ] && grep -q 'error:.*needs a password.*--pfx-password-file.*--pfx-no-password' "$T_ERR"; then
	t_pass "a CCS store without any password is refused (exit 2)"
else
	t_fail "a CCS store without any password is refused (exit 2)" "rc=$T_RC $(cat "$T_ERR")"
fi
no_order "no password" "$o0"
t_check "--pfx-no-password opts in" cf_run issue -d nopw.test "${H[@]}" \
	--pfx-file "$W/nopw.pfx" --pfx-no-password
pfx_opens "$W/nopw.pfx" '' && t_pass "unprotected PFX written as asked" ||
	t_fail "unprotected PFX written as asked"

# ---- 2. relative paths ----
mkdir -p "$W/rel/ccs" "$W/rel/iis"
printf 'Rel-Pw-%s\n' "$RANDOM" >"$W/rel/pw"
chmod 600 "$W/rel/pw"
(cd "$W/rel" && "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$PEBBLE_CA" issue -d rel.test "${H[@]}" --ccs-dir ccs \
	--pfx-password-file pw --pem-dir ./pem >"$T_OUT" 2>"$T_ERR")
def="$STATE/renewals/rel.test.json"
if jq -e --arg w "$W/rel" '[.spec.stores[] | .path, (.password_file // empty)] |
	all(startswith($w + "/"))' "$def" >/dev/null &&
	jq -e --arg c "$PEBBLE_CA" '.spec.ca_bundle == $c' "$def" >/dev/null; then
	t_pass "relative paths recorded absolute (stores, password file, CA bundle)"
else
	t_fail "relative paths recorded absolute" "$(jq -c .spec "$def" 2>&1) $(cat "$T_ERR")"
fi
# The timer's renew: another folder, no --ca-bundle (the recorded one).
(cd / && "$CF" --state-dir "$STATE" renew --force --name rel.test >"$T_OUT" 2>"$T_ERR")
if grep -q '1 renewed' "$T_OUT" &&
	[ "$(serial_of "$W/rel/pem/cert.pem")" = "$(serial_of "$STATE/certs/rel.test/cert.pem")" ] &&
	pfx_opens "$W/rel/ccs/rel.test.pfx" "$(cat "$W/rel/pw")" && [ ! -e /ccs ] && [ ! -e /pem ]; then
	t_pass "renew from / writes where issue wrote"
else
	t_fail "renew from / writes where issue wrote" "$(cat "$T_OUT" "$T_ERR")"
fi

# ---- 3. preflight ----
mkdir -p "$W/ro/ccs" "$W/ro/www"
cp "$W/rel/pw" "$W/ro/pw"
o0=$(orders)
t_run cf_run issue -d pf.test "${H[@]}" --ccs-dir "$W/missing" --pfx-password-file "$W/ro/pw"
[ "$T_RC" = 2 ] && grep -q "error:.*$W/missing.*does not exist" "$T_ERR" &&
	t_pass "missing CCS folder: exit 2 naming it" ||
	t_fail "missing CCS folder: exit 2 naming it" "rc=$T_RC $(cat "$T_ERR")"
t_run cf_run issue -d pf.test "${H[@]}" --ccs-dir "$W/ro/ccs" --pfx-password-file "$W/ro/nope"
[ "$T_RC" = 2 ] && grep -q "error:.*$W/ro/nope" "$T_ERR" &&
	t_pass "missing password file: exit 2 naming it" ||
	t_fail "missing password file: exit 2 naming it" "rc=$T_RC $(cat "$T_ERR")"
printf '#!/bin/sh\nexit 0\n' >"$W/hook.sh"
chmod 644 "$W/hook.sh"
t_run cf_run issue -d pf.test --validation dns-01 --dns script --dns-script "$W/hook.sh"
[ "$T_RC" = 2 ] && grep -q "error:.*$W/hook.sh.*not executable" "$T_ERR" &&
	t_pass "DNS hook not executable: exit 2 naming it" ||
	t_fail "DNS hook not executable: exit 2 naming it" "rc=$T_RC $(cat "$T_ERR")"
# Pebble's own port is a busy one.
t_run cf_run issue -d pf.test --http-port "$PEBBLE_PORT" --http-address 127.0.0.1 --dry-run
[ "$T_RC" = 2 ] && grep -q "error:.*port 127.0.0.1:$PEBBLE_PORT cannot be bound" "$T_ERR" &&
	t_pass "dry run: a busy responder port is exit 2" ||
	t_fail "dry run: a busy responder port is exit 2" "rc=$T_RC $(cat "$T_ERR")"
if [ "$RO_OK" = 1 ]; then
	for dry in "" --dry-run; do
		ro_run "$W/ro/ccs" "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
			--ca-bundle "$PEBBLE_CA" issue -d pf.test "${H[@]}" \
			--ccs-dir "$W/ro/ccs" --pfx-password-file "$W/ro/pw" $dry
		[ "$T_RC" = 2 ] && grep -q "error:.*CCS folder $W/ro/ccs is not writable.*read-only" "$T_ERR" &&
			t_pass "read-only CCS mount${dry:+ ($dry)}: exit 2" ||
			t_fail "read-only CCS mount${dry:+ ($dry)}: exit 2" "rc=$T_RC $(cat "$T_ERR")"
	done
	ro_run "$W/ro/www" "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
		--ca-bundle "$PEBBLE_CA" issue -d pf.test --webroot "$W/ro/www"
	[ "$T_RC" = 2 ] && grep -q "error:.*webroot $W/ro/www is not writable" "$T_ERR" &&
		t_pass "read-only webroot: exit 2" ||
		t_fail "read-only webroot: exit 2" "rc=$T_RC $(cat "$T_ERR")"
	FARM="$CF_ROOT/../shared/fixtures/iis/applicationHost-farm.config"
	if [ -f "$FARM" ]; then
		mkdir -p "$W/ro/iis"
		cp "$FARM" "$W/ro/iis/applicationHost.config"
		ro_run "$W/ro/iis" "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
			--ca-bundle "$PEBBLE_CA" issue "${H[@]}" \
			--iis-config "$W/ro/iis/applicationHost.config" --iis-site "Tenant 01 - alpha" \
			--install iis --ccs-dir "$W/ro/ccs" --pfx-password-file "$W/ro/pw"
		[ "$T_RC" = 2 ] && grep -q "error:.*folder of applicationHost.config $W/ro/iis is not writable" "$T_ERR" &&
			t_pass "read-only applicationHost.config folder: exit 2" ||
			t_fail "read-only applicationHost.config folder: exit 2" "rc=$T_RC $(cat "$T_ERR")"
	else
		t_skip "read-only applicationHost.config folder" "shared fixture $FARM not found"
	fi
	# renew: the same checks, recorded, nothing ordered
	o1=$(orders)
	ro_run "$W/rel/ccs" "$CF" --state-dir "$STATE" renew --force --name rel.test
	if [ "$T_RC" = 1 ] && grep -q "rel.test:.*CCS folder $W/rel/ccs is not writable" "$T_ERR" &&
		jq -e '.history[-1].outcome == "failed"' "$STATE/renewals/rel.test.json" >/dev/null; then
		t_pass "renew: a read-only store fails before the order and is recorded"
	else
		t_fail "renew: a read-only store fails before the order and is recorded" "rc=$T_RC $(cat "$T_OUT" "$T_ERR")"
	fi
	no_order "renew preflight" "$o1"
else
	t_skip "read-only bind mounts" "unshare -m / mount --bind -o ro not permitted here"
fi
no_order "preflight failures" "$o0"
[ ! -e "$STATE/renewals/pf.test.json" ] && [ ! -e "$STATE/certs/pf.test" ] &&
	t_pass "preflight failures left no state" || t_fail "preflight failures left no state"

# ---- 4. issue again: nothing ordered, stores redelivered; --force orders ----
o0=$(orders)
rm -f "$W/rel/ccs/rel.test.pfx"
(cd "$W/rel" && "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$PEBBLE_CA" issue -d rel.test "${H[@]}" --ccs-dir ccs \
	--pfx-password-file pw --pem-dir ./pem >"$T_OUT" 2>"$T_ERR")
if grep -q 'certificate rel.test is current' "$T_OUT" && grep -q 'nothing ordered' "$T_OUT" &&
	grep -q "ccs  *repaired $W/rel/ccs" "$T_OUT" && pfx_opens "$W/rel/ccs/rel.test.pfx" "$(cat "$W/rel/pw")"; then
	t_pass "issue again: says the certificate is current and redelivers the deleted PFX"
else
	t_fail "issue again: says the certificate is current" "$(cat "$T_OUT" "$T_ERR")"
fi
no_order "issue again" "$o0"
t_check "issue --force" cf_run issue -d rel.test "${H[@]}" --ccs-dir "$W/rel/ccs" \
	--pfx-password-file "$W/rel/pw" --pem-dir "$W/rel/pem" --force
n=$(orders)
[ "$((n - o0))" = 1 ] && t_pass "--force: one new order" || t_fail "--force: one new order" "$((n - o0))"
t_check "issue with another name set orders" cf_run issue -d rel.test -d www.rel.test \
	--name rel.test "${H[@]}" --ccs-dir "$W/rel/ccs" --pfx-password-file "$W/rel/pw" \
	--pem-dir "$W/rel/pem"
n2=$(orders)
[ "$((n2 - n))" = 1 ] && t_pass "a changed name set is ordered" || t_fail "a changed name set is ordered"

# ---- 5. drift repaired by renew, nothing ordered ----
cur=$(serial_of "$STATE/certs/rel.test/cert.pem")
rm -f "$W/rel/pem/privkey.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/rel/pem/privkey.pem" 2>/dev/null
cp "$W/nopw.pfx" "$W/rel/ccs/www.rel.test.pfx"
o0=$(orders)
(cd / && "$CF" --state-dir "$STATE" renew >"$T_OUT" 2>"$T_ERR")
if grep -q '^rel.test: not due, stores repaired' "$T_OUT" &&
	cert_key_matches "$W/rel/pem/cert.pem" "$W/rel/pem/privkey.pem" &&
	[ "$(serial_of "$W/rel/pem/cert.pem")" = "$cur" ] &&
	pfx_opens "$W/rel/ccs/www.rel.test.pfx" "$(cat "$W/rel/pw")" &&
	[ "$(serial_of "$CF_TMP/pfxleaf.pem")" = "$cur" ]; then
	t_pass "renew repairs a tampered PEM folder and an overwritten CCS file"
else
	t_fail "renew repairs a tampered PEM folder and an overwritten CCS file" "$(cat "$T_OUT" "$T_ERR")"
fi
no_order "repair" "$o0"
jq -e '.history[-1].action == "repair" and .history[-1].outcome == "ok"' \
	"$STATE/renewals/rel.test.json" >/dev/null && t_pass "the repair is in the history" ||
	t_fail "the repair is in the history" "$(jq -c '.history[-1]' "$STATE/renewals/rel.test.json")"
t_check "renew again" cf_run renew
grep -q '^rel.test: not-due' "$T_OUT" && ! grep -q 'stores repaired' "$T_OUT" &&
	t_pass "healthy stores are left alone" || t_fail "healthy stores are left alone" "$(cat "$T_OUT")"
rm -f "$W/rel/pem/cert.pem"
t_check "renew --dry-run with a drifted store" cf_run renew --dry-run
grep -q 'pem  *drifted' "$T_OUT" && [ ! -e "$W/rel/pem/cert.pem" ] &&
	t_pass "dry run reports drift, repairs nothing" || t_fail "dry run reports drift" "$(cat "$T_OUT")"
t_done
