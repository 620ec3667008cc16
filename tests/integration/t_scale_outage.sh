#!/usr/bin/env bash
# A CA that refuses connections costs a renew run seconds, not a retry
# series per certificate (the circuit breaker): over 200 definitions whose
# renewal information is due, the run ends quickly, every one is reported
# "CA unreachable, checked locally", the due ones are not ordered and get
# no backoff.  And a run streams: renew and list over 2,000 definitions
# report every one.  Definitions are synthetic (tests/tools/gendefs); no
# CA is involved: the "CA" is a free loopback port nobody listens on.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl jq timeout
GEN="$BUILD/tools/gendefs"
[ -x "$GEN" ] || { t_fail "gendefs is built" "$GEN missing (make build-tests)"; t_done; }

PEM="$CF_TMP/pem"
mkdir -p "$PEM"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$PEM/privkey.pem" -out "$PEM/cert.pem" -days 90 \
	-subj /CN=x.scale.test -addext subjectAltName=DNS:x.scale.test 2>/dev/null
: >"$PEM/chain.pem"
cp "$PEM/cert.pem" "$PEM/fullchain.pem"

DEAD=$(cf_freeports 1)
DEAD_URL="https://127.0.0.1:$DEAD/dir"

# --- the circuit breaker: 200 definitions, 3 of them due, ARI due for all
t_check "200 definitions written" "$GEN" --state "$STATE" --server "$DEAD_URL" \
	--from "$PEM" --count 200 --due 3 --ari --pem-stores "$CF_TMP/stores"
start=$(date +%s)
timeout 120 "$CF" --state-dir "$STATE" --ca-bundle "$PEM/cert.pem" renew --jobs 4 \
	>"$CF_TMP/outage.out" 2>"$CF_TMP/outage.err"
rc=$?
took=$(($(date +%s) - start))
if [ "$rc" = 124 ]; then
	t_fail "renew with the CA unreachable ends" "still running after 120 s"
else
	t_pass "renew with the CA unreachable ends (${took} s)"
fi
[ "$rc" = 1 ] && t_pass "exit status 1 (the due ones could not be renewed)" ||
	t_fail "exit status 1 (the due ones could not be renewed)" "$rc"
local_n=$(grep -c 'CA unreachable, checked locally' "$CF_TMP/outage.out")
[ "$local_n" = 200 ] && t_pass "each of the 200 reported 'CA unreachable, checked locally'" ||
	{ t_fail "each of the 200 reported 'CA unreachable, checked locally'" "$local_n"; t_tail "$CF_TMP/outage.out"; }
grep -q '^renew: 0 renewed, 3 failed, 0 pending, 197 not due' "$CF_TMP/outage.out" &&
	t_pass "197 not due, 3 due ones failed" ||
	t_fail "197 not due, 3 due ones failed" "$(tail -1 "$CF_TMP/outage.out")"
nf=$(grep -c 'not ordered' "$CF_TMP/outage.err")
[ "$nf" -ge 2 ] && t_pass "due ones: not ordered, the CA found unreachable" ||
	{ t_fail "due ones: not ordered, the CA found unreachable" "$nf"; t_tail "$CF_TMP/outage.err"; }
# The breaker is no failure of the certificate: no backoff for the ones it
# stopped (at most the one that met the outage first counts it).
backoff=$(jq -s '[.[] | select(.failures > 0)] | length' "$STATE"/renewals/c*.json)
[ "$backoff" -le 1 ] && t_pass "no backoff from the outage ($backoff)" ||
	t_fail "no backoff from the outage" "$backoff definitions count a failure"

# --- the stat fast path never hides a store that changed
[ -s "$STATE/verified/c150" ] && t_pass "the full store check recorded a fingerprint" ||
	t_fail "the full store check recorded a fingerprint" "no $STATE/verified/c150"
echo "not a certificate" >"$CF_TMP/stores/c150/cert.pem"
timeout 120 "$CF" --state-dir "$STATE" --ca-bundle "$PEM/cert.pem" renew --name c150 \
	>"$CF_TMP/drift.out" 2>"$CF_TMP/drift.err"
grep -q '^c150: not due, stores repaired' "$CF_TMP/drift.out" &&
	cmp -s "$CF_TMP/stores/c150/cert.pem" "$PEM/cert.pem" &&
	t_pass "a store changed after its fingerprint is checked in full and repaired" ||
	{ t_fail "a store changed after its fingerprint is checked in full and repaired"; t_tail "$CF_TMP/drift.out"; }

# The same without renewal information (the lock-free not-due path).
S3="$CF_TMP/state3"
"$GEN" --state "$S3" --server "$DEAD_URL" --from "$PEM" --count 3 --prefix q \
	--pem-stores "$CF_TMP/stores3" >/dev/null 2>&1
"$CF" --state-dir "$S3" renew >/dev/null 2>&1
"$CF" --state-dir "$S3" renew >"$CF_TMP/q1.out" 2>&1
echo "not a certificate" >"$CF_TMP/stores3/q2/fullchain.pem"
"$CF" --state-dir "$S3" renew >"$CF_TMP/q2.out" 2>&1
grep -q '^renew: 0 renewed, 0 failed, 0 pending, 3 not due, 0 repaired' "$CF_TMP/q1.out" &&
	grep -q '^q2: not due, stores repaired' "$CF_TMP/q2.out" &&
	grep -q '^renew: 0 renewed, 0 failed, 0 pending, 2 not due, 1 repaired' "$CF_TMP/q2.out" &&
	t_pass "fast path: unchanged stores pass, the changed one is repaired" ||
	{ t_fail "fast path: unchanged stores pass, the changed one is repaired"; t_tail "$CF_TMP/q2.out"; }

# --- streaming: 2,000 definitions, nothing due, no request needed
S2="$CF_TMP/state2"
t_check "2000 definitions written" "$GEN" --state "$S2" --server "$DEAD_URL" \
	--from "$PEM" --count 2000 --prefix s
timeout 120 "$CF" --state-dir "$S2" --ca-bundle "$PEM/cert.pem" renew \
	>"$CF_TMP/r2k.out" 2>"$CF_TMP/r2k.err"
rc=$?
[ "$rc" = 0 ] && t_pass "renew over 2000 definitions exits 0" ||
	{ t_fail "renew over 2000 definitions exits 0" "$rc"; t_tail "$CF_TMP/r2k.err"; }
n=$(grep -c ': not-due: ' "$CF_TMP/r2k.out")
[ "$n" = 2000 ] && t_pass "renew reports all 2000" || t_fail "renew reports all 2000" "$n"
grep -q '^renew: 0 renewed, 0 failed, 0 pending, 2000 not due' "$CF_TMP/r2k.out" &&
	t_pass "renew summary: 2000 not due" ||
	t_fail "renew summary: 2000 not due" "$(tail -1 "$CF_TMP/r2k.out")"
"$CF" --state-dir "$S2" list >"$CF_TMP/l2k.out" 2>&1
n=$(grep -c '^s[0-9]' "$CF_TMP/l2k.out")
[ "$n" = 2000 ] && t_pass "list shows all 2000" || t_fail "list shows all 2000" "$n"
n=$("$CF" --state-dir "$S2" list --json | jq 'length')
[ "$n" = 2000 ] && t_pass "list --json: 2000 entries, valid JSON" ||
	t_fail "list --json: 2000 entries, valid JSON" "$n"
t_done
