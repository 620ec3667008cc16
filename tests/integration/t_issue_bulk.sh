#!/usr/bin/env bash
# issue of many certificates at once (--from FILE; --per-site is the same
# machinery, t_iis_sites): the orders of one CA run concurrently up to
# --per-ca, one 429 with Retry-After holds every job of the CA, one
# certificate that fails does not stop the others (exit status 1), and a
# second run orders nothing.  Through faultproxy (its log: one line per
# request, with the time it was read).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fp_lib.sh
. "$(dirname "$0")/fp_lib.sh"
require_cf
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
H=(--http-port "$HTTP01_PORT" --http-address 127.0.0.1)

# The 2nd newOrder is rate limited for 5 s; every other newOrder is held
# 1.5 s, so that concurrent jobs' orders overlap and the others' next
# requests come during the 429's 5 s (were it not shared).
cat >"$CF_TMP/rules.json" <<'EOF'
[{"match": {"method": "POST", "path": "^/order-plz$"}, "skip": 1, "times": 1,
  "action": {"status": 429, "retry_after": "5", "nonce": true}},
 {"match": {"method": "POST", "path": "^/order-plz$"}, "action": {"delay_ms": 1500}}]
EOF
fp_start "$CF_TMP/rules.json" || { t_fail "faultproxy starts"; t_done; }

# 127.0.0.2: Pebble validates it on an address the responder does not
# listen on (it binds 127.0.0.1): that certificate fails at the CA.
cat >"$CF_TMP/certs.txt" <<'EOF'
# one certificate per line
b1.bulk.test www.b1.bulk.test
b2.bulk.test

b3.bulk.test   # a comment
127.0.0.2
b4.bulk.test
EOF
l0=$(wc -l <"$FP_LOG")
# LD_DEBUG=files: the loader names each library certferry loads (its
# helpers get a minimal environment, so the lines are certferry's own).
LD_DEBUG=files LD_DEBUG_OUTPUT="$CF_TMP/ld" fp_run issue --from "$CF_TMP/certs.txt" \
	--jobs 4 --per-ca 4 --agree-tos "${H[@]}" --wait 60 \
	>"$CF_TMP/b1.out" 2>"$CF_TMP/b1.err"
rc=$?
if ! compgen -G "$CF_TMP/ld.*" >/dev/null; then
	t_fail "the loader's trace was written" "no $CF_TMP/ld.*"
elif grep -q 'file=libcurl' "$CF_TMP"/ld.*; then
	t_fail "certferry itself does not load libcurl: its network processes do" \
		"$(grep -h 'file=libcurl' "$CF_TMP"/ld.* | head -n 2)"
else
	t_pass "certferry itself does not load libcurl: its network processes do"
fi
[ "$rc" = 1 ] && t_pass "--from: one failure, exit status 1" ||
	{ t_fail "--from: one failure, exit status 1" "rc $rc"; t_tail "$CF_TMP/b1.err"; }
grep -q "^from $CF_TMP/certs.txt: 4 done, 1 failed$" "$CF_TMP/b1.out" &&
	t_pass "--from: 4 done, 1 failed" ||
	{ t_fail "--from: 4 done, 1 failed" "$(tail -3 "$CF_TMP/b1.out")"; t_tail "$CF_TMP/b1.err"; }
grep -q '^error: certificate 127.0.0.2: ' "$CF_TMP/b1.err" &&
	t_pass "the failure names its certificate" ||
	t_fail "the failure names its certificate" "$(head -c 400 "$CF_TMP/b1.err")"
n=0
for c in b1 b2 b3 b4; do
	[ -f "$STATE/renewals/$c.bulk.test.json" ] && [ -f "$STATE/certs/$c.bulk.test/cert.pem" ] &&
		n=$((n + 1))
done
[ "$n" = 4 ] && t_pass "4 certificates and their renewal definitions" ||
	t_fail "4 certificates and their renewal definitions" "$n"
openssl x509 -in "$STATE/certs/b1.bulk.test/cert.pem" -noout -ext subjectAltName 2>/dev/null |
	grep -q 'DNS:www.b1.bulk.test' && t_pass "a line's names are one certificate" ||
	t_fail "a line's names are one certificate"

tail -n +"$((l0 + 1))" "$FP_LOG" >"$CF_TMP/run1.log"
seq=$(awk '$3 == "/order-plz" { printf "O" } $3 ~ /^\/certZ\// { printf "C" }' "$CF_TMP/run1.log")
case $seq in
OO*) t_pass "orders of one CA run concurrently ($seq)" ;;
*) t_fail "orders of one CA run concurrently" "$seq" ;;
esac
[ "$(grep -c ' GET /dir ' "$CF_TMP/run1.log")" -le 2 ] &&
	t_pass "one directory GET for the jobs (and one for the account)" ||
	t_fail "one directory GET for the jobs" "$(grep -c ' GET /dir ' "$CF_TMP/run1.log")"
fp_check_429_held "$CF_TMP/run1.log"

# Again: the four are current (nothing ordered); the fifth is ordered again.
grep -v 127.0.0.2 "$CF_TMP/certs.txt" >"$CF_TMP/ok.txt"
l0=$(wc -l <"$FP_LOG")
t_check "--from again" fp_run issue --from "$CF_TMP/ok.txt" --agree-tos "${H[@]}"
orders=$(tail -n +"$((l0 + 1))" "$FP_LOG" | grep -c ' /order-plz ')
[ "$orders" = 0 ] && grep -q 'from .*: 4 done, 0 failed' "$T_OUT" &&
	t_pass "--from again: current certificates kept, nothing ordered" ||
	t_fail "--from again: nothing ordered" "$orders orders"

# Bad input: nothing ordered, exit 2, the line named.
printf 'c1.bulk.test\nbad..name\n' >"$CF_TMP/bad.txt"
t_expect_fail "--from with a bad name" fp_run issue --from "$CF_TMP/bad.txt" --agree-tos "${H[@]}"
[ "$T_RC" = 2 ] && grep -q "bad.txt line 2" "$T_ERR" && [ ! -e "$STATE/renewals/c1.bulk.test.json" ] &&
	t_pass "--from: a bad line refuses the file (exit 2, line named)" ||
	t_fail "--from: a bad line refuses the file" "rc $T_RC $(head -c 300 "$T_ERR")"
printf 'c1.bulk.test\nc1.bulk.test x.bulk.test\n' >"$CF_TMP/dup.txt"
t_expect_fail "--from with a certificate twice" fp_run issue --from "$CF_TMP/dup.txt" --agree-tos "${H[@]}"
[ "$T_RC" = 2 ] && grep -q "line 2: certificate c1.bulk.test is on an earlier line" "$T_ERR" &&
	t_pass "--from: a certificate twice is refused (exit 2)" ||
	t_fail "--from: a certificate twice is refused" "rc $T_RC $(head -c 300 "$T_ERR")"
printf 'c1.bulk.test\nc2.bulk.test c1.bulk.test\n' >"$CF_TMP/dup2.txt"
t_expect_fail "--from with a name on two lines" fp_run issue --from "$CF_TMP/dup2.txt" --agree-tos "${H[@]}"
[ "$T_RC" = 2 ] && grep -q "line 2: c1.bulk.test is on an earlier line too (certificate c1.bulk.test)" "$T_ERR" &&
	t_pass "--from: a name on two lines is refused (exit 2)" ||
	t_fail "--from: a name on two lines is refused" "rc $T_RC $(head -c 300 "$T_ERR")"
mkdir -p "$CF_TMP/pem"
t_expect_fail "--from with --pem-dir" fp_run issue --from "$CF_TMP/ok.txt" --pem-dir "$CF_TMP/pem" \
	--agree-tos "${H[@]}"
[ "$T_RC" = 2 ] && grep -q -- "--pem-dir and --pfx-file hold one certificate" "$T_ERR" &&
	[ -z "$(ls -A "$CF_TMP/pem")" ] &&
	t_pass "--from with --pem-dir: refused, nothing written (exit 2)" ||
	t_fail "--from with --pem-dir: refused" "rc $T_RC $(head -c 300 "$T_ERR")"
t_expect_fail "--from with -d" fp_run issue --from "$CF_TMP/ok.txt" -d x.bulk.test
[ "$T_RC" = 2 ] && t_pass "--from with -d: exit 2" || t_fail "--from with -d: exit 2" "$T_RC"
t_done
