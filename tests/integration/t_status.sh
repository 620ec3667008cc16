#!/usr/bin/env bash
# certferry status: healthy certificates exit 0; a store out of sync and a
# failed renewal are "attention" (exit 1) in the table, in --json and in
# the --prometheus textfile.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab
PEM="$CF_TMP/pem"
t_check "issue a" cf_run issue -d a.status.test --agree-tos "${H[@]}"
t_check "issue b (--pem-dir)" cf_run issue -d b.status.test --pem-dir "$PEM" "${H[@]}"

t_check "status: all healthy, exit 0" cf_run status
t_run cf_run status --json --prometheus "$CF_TMP/m.prom"
j="$T_OUT"
if [ "$T_RC" = 0 ] && [ "$(jq .healthy "$j")" = true ] &&
	[ "$(jq '.certificates | length' "$j")" = 2 ] &&
	[ "$(jq -r '.certificates[] | select(.name == "b.status.test") | .stores_in_sync' "$j")" = true ] &&
	[ "$(jq -r '.certificates[] | select(.name == "a.status.test") | .identifiers[0]' "$j")" = a.status.test ] &&
	[ "$(jq -r '.certificates[0].not_after' "$j")" != null ] &&
	[ "$(jq -r '.certificates[0].next_renewal' "$j")" != null ] &&
	[ "$(jq -r '.certificates[0].last_result.outcome' "$j")" = ok ]; then
	t_pass "status --json: names, expiry, next renewal, last result, stores"
else
	t_fail "status --json: names, expiry, next renewal, last result, stores" "rc=$T_RC $(head -40 "$j")"
fi
na=$(date -d "$(openssl x509 -in "$(cf_certdir a.status.test)/cert.pem" -noout -enddate | cut -d= -f2)" +%s)
if grep -qx "certferry_certificate_not_after_seconds{name=\"a.status.test\"} $na" "$CF_TMP/m.prom" &&
	grep -qx 'certferry_certificate_attention{name="b.status.test"} 0' "$CF_TMP/m.prom" &&
	grep -qx '# TYPE certferry_certificate_failures gauge' "$CF_TMP/m.prom" &&
	grep -q '^certferry_status_time_seconds [0-9]*$' "$CF_TMP/m.prom"; then
	t_pass "--prometheus: textfile metrics"
else
	t_fail "--prometheus: textfile metrics" "$(cat "$CF_TMP/m.prom" 2>&1 | head -30)"
fi

# b's PEM folder drifts: another certificate's file in it.
cp "$(cf_certdir a.status.test)/cert.pem" "$PEM/cert.pem"
t_run cf_run status --json --prometheus "$CF_TMP/m.prom"
if [ "$T_RC" = 1 ] && [ "$(jq .healthy "$j")" = false ] &&
	[ "$(jq -r '.certificates[] | select(.name == "b.status.test") | .stores_in_sync' "$j")" = false ] &&
	[ "$(jq -r '.certificates[] | select(.name == "a.status.test") | .healthy' "$j")" = true ] &&
	grep -qx 'certferry_certificate_stores_in_sync{name="b.status.test"} 0' "$CF_TMP/m.prom" &&
	grep -qx 'certferry_certificate_attention{name="b.status.test"} 1' "$CF_TMP/m.prom"; then
	t_pass "a store out of sync: attention, exit 1"
else
	t_fail "a store out of sync: attention, exit 1" "rc=$T_RC $(jq -c '.certificates[] | {name, stores_in_sync, problem}' "$j" 2>&1)"
fi
if [ "$(cmp -s "$PEM/cert.pem" "$(cf_certdir a.status.test)/cert.pem" && echo same)" = same ]; then
	t_pass "status repairs nothing"
else
	t_fail "status repairs nothing"
fi

# a's renewal fails.
badport=$(cf_freeports 1)
f="$STATE/renewals/a.status.test.json"
jq --argjson p "$badport" '.spec.validation.http_port = $p' "$f" >"$f.new" && mv "$f.new" "$f"
t_expect_rc "renew --force a fails (exit 1)" 1 cf_run renew --force --name a.status.test --wait 20
t_run cf_run status
if [ "$T_RC" = 1 ] && grep -q '^a.status.test  *ATTENTION .*failed renewal' "$T_OUT"; then
	t_pass "a failed renewal: attention in the table"
else
	t_fail "a failed renewal: attention in the table" "rc=$T_RC $(cat "$T_OUT")"
fi
t_run cf_run status --prometheus "$CF_TMP/m.prom"
if grep -qx 'certferry_certificate_failures{name="a.status.test"} 1' "$CF_TMP/m.prom"; then
	t_pass "--prometheus: failures"
else
	t_fail "--prometheus: failures" "$(grep failures "$CF_TMP/m.prom")"
fi
t_done
