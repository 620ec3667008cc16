#!/usr/bin/env bash
# ACME profiles (draft-aaron-acme-profiles) through faultproxy, which adds
# meta.profiles to Pebble's directory (Pebble 2.4.0 has none): `ca info`
# lists them; `issue --profile NAME` sends it in newOrder and records it for
# renewals; an unknown profile is refused before anything is ordered, with
# the list of valid ones; --profile against a CA without profiles is refused.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fp_lib.sh
. "$(dirname "$0")/fp_lib.sh"
require_cf
skip_unless_cmd jq
t_pebble_start_eab
N=profile.test
DEF="$STATE/renewals/$N.json"

cat >"$CF_TMP/rules.json" <<'JSON'
[{"match": {"method": "GET", "path": "^/dir$"},
  "action": {"merge_json": {"meta": {
     "profiles": {"classic": "the usual 90 days",
                  "shortlived": "6 days, no OCSP"},
     "caaIdentities": ["pebble.example"],
     "website": "https://ca.example/"}}}}]
JSON
fp_start "$CF_TMP/rules.json" || { t_fail "faultproxy start"; t_done; }
orders() { grep -c ' POST /order-plz ' "$FP_LOG" || true; }

t_check "ca info" fp_run ca info
for want in 'EAB required: *yes' 'shortlived *6 days, no OCSP' 'classic *the usual 90 days' \
	'CAA identities: *pebble.example' 'website: *https://ca.example/' 'renewal info (ARI): *no'; do
	grep -q "$want" "$T_OUT" && t_pass "ca info: $want" || t_fail "ca info: $want" "$(cat "$T_OUT")"
done

t_run fp_run issue -d "$N" --agree-tos "${H[@]}" --profile longlived
if [ "$T_RC" = 2 ] && [ "$(orders)" = 0 ] &&
	grep -q 'longlived: the CA offers no such profile; valid profiles: classic, shortlived' "$T_ERR"; then
	t_pass "unknown profile refused before ordering (exit 2, lists the valid ones)"
else
	t_fail "unknown profile refused before ordering" "rc=$T_RC orders=$(orders) $(cat "$T_ERR")"
fi

t_check "issue --profile shortlived" fp_run issue -d "$N" --agree-tos "${H[@]}" --profile shortlived
grep -q ' POST /order-plz 201 .* profile=shortlived' "$FP_LOG" && t_pass "newOrder carried the profile" ||
	t_fail "newOrder carried the profile" "$(grep order-plz "$FP_LOG")"
[ "$(jq -r .spec.profile "$DEF")" = shortlived ] && t_pass "profile recorded for renewals" ||
	t_fail "profile recorded for renewals" "$(jq -c .spec "$DEF")"
t_check "renew --force" fp_run renew --force
[ "$(grep -c ' POST /order-plz 201 .* profile=shortlived' "$FP_LOG")" = 2 ] &&
	t_pass "the renewal ordered the same profile" ||
	t_fail "the renewal ordered the same profile" "$(grep order-plz "$FP_LOG")"

# Straight to Pebble, which advertises no profiles.
t_run cf_run issue -d other.profile.test --agree-tos "${H[@]}" --profile classic
[ "$T_RC" = 2 ] && grep -q 'advertises no ACME profiles' "$T_ERR" &&
	t_pass "--profile refused by a CA without profiles" ||
	t_fail "--profile refused by a CA without profiles" "rc=$T_RC $(cat "$T_ERR")"
t_done
