#!/usr/bin/env bash
# What real CAs do on the wire (issue: "survive what real CAs do"): each
# scenario puts tests/tools/faultproxy (docs/TESTING-PROXY.md) between
# certferry and Pebble with one set of rules, issues a certificate through
# it, and checks the request counts and the waits in the proxy's log.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl curl awk
if [ ! -x "$BUILD/tools/faultproxy" ]; then
	t_fail "$T_SCRIPT" "faultproxy not built ($BUILD/tools/faultproxy)"
	t_done
fi
t_pebble_start
SEQ=0

# scenario NAME RULES-JSON [proxy args...]: start a proxy; sets DIR_URL.
scenario() {
	local name=$1 rules=$2 port
	shift 2
	SEQ=$((SEQ + 1))
	port=$(cf_freeports 1)
	printf '%s\n' "$rules" >"$CF_TMP/rules-$name.json"
	if ! faultproxy_start "$name" "$port" --rules "$CF_TMP/rules-$name.json" "$@"; then
		t_fail "$name: start faultproxy"
		return 1
	fi
	DIR_URL="$FP_URL/dir"
	STATE="$CF_TMP/state-$name"
}

# issue_via NAME [certferry args before "issue"...] -- [issue args...]
issue_via() {
	local name=$1
	shift
	"$CF" --state-dir "$STATE" --server "$DIR_URL" --ca-bundle "$PEBBLE_CA" \
		"$@" issue -d "$name.faults.test" --http-port "$HTTP01_PORT" \
		--http-address 127.0.0.1 --agree-tos --eab-kid "$EAB_KID" \
		--eab-hmac-key-file "$EAB_HMAC_FILE"
}

# count REGEX: requests in the current proxy's log matching REGEX; "none"
# (which fails every numeric test) when there is no log or it is empty,
# so that "0 requests" is never concluded from a proxy that logged nothing.
count() {
	if [ ! -s "$FP_LOG" ]; then
		echo none
		return
	fi
	grep -cE "$1" "$FP_LOG"
}

# gaps REGEX: milliseconds between consecutive matching requests.
gaps() {
	grep -E "$1" "$FP_LOG" | awk 'NR > 1 { print $1 - prev } { prev = $1 }'
}

expect_min_gap() {
	local label=$1 regex=$2 min=$3 g bad=0 n=0
	for g in $(gaps "$regex"); do
		n=$((n + 1))
		[ "$g" -ge "$min" ] || bad=1
	done
	if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
		t_pass "$label: every wait >= $min ms ($(gaps "$regex" | tr '\n' ' '))"
	else
		t_fail "$label: every wait >= $min ms" "gaps: $(gaps "$regex" | tr '\n' ' ')"
	fi
}

one_new_order() {
	local label=$1 n
	n=$(count ' POST /order-plz [0-9]+ forwarded')
	if [ "$n" -eq 1 ]; then
		t_pass "$label: exactly one newOrder reached the CA"
	else
		t_fail "$label: exactly one newOrder reached the CA" "$n forwarded"
	fi
}

issued_ok() {
	local label=$1
	if t_run issue_via "$label" "${@:2}" && [ "$T_RC" -eq 0 ]; then
		t_pass "$label: certificate issued"
	else
		t_fail "$label: certificate issued" "exit $T_RC: $(tail -n 3 "$T_ERR" | tr '\n' ' ')"
	fi
	cp "$T_ERR" "$CF_TMP/last-issue.err"
	check_issued "$label" "$label.faults.test" "$label.faults.test"
}

# ---- every 3rd POST answered 500, without a nonce ----
scenario e500 '[{"match":{"method":"POST"},"every":3,"action":{"status":500}}]'
issued_ok e500
if [ "$(count ' 500 rule:0 ')" -ge 3 ]; then
	t_pass "e500: the CA's 500s were retried ($(count ' 500 rule:0 ') times)"
else
	t_fail "e500: the CA's 500s were retried" "$(count ' 500 rule:0 ') answered 500"
fi
one_new_order e500

# ---- the first newOrder: 429 with Retry-After in seconds ----
scenario r429 '[{"match":{"path":"^/order-plz$"},"times":1,"action":{"status":429,"retry_after":"2"}}]'
issued_ok r429
expect_min_gap "r429" ' POST /order-plz ' 2000
one_new_order r429

# ---- the same with Retry-After as an HTTP-date ----
scenario rdate '[{"match":{"path":"^/order-plz$"},"times":1,"action":{"status":429,"retry_after_date":2}}]'
issued_ok rdate
# The date has whole seconds: at least 1 s must pass, and never before it.
expect_min_gap "rdate" ' POST /order-plz ' 1000
one_new_order rdate

# ---- finalize answered 201 ----
scenario f201 '[{"match":{"method":"POST","path":"^/finalize-order/"},"action":{"rewrite_status":201}}]'
issued_ok f201
if [ "$(count ' POST /finalize-order/[^ ]* 201 ')" -eq 1 ]; then
	t_pass "f201: the 201 finalize was accepted once"
else
	t_fail "f201: the 201 finalize was accepted once"
fi

# ---- order "processing" with Retry-After for several polls ----
scenario proc '[{"match":{"method":"POST","path":"^/my-order/"},"armed_by":{"method":"POST","path":"^/finalize-order/"},"times":3,"action":{"fake_processing":true,"retry_after":"3"}}]'
issued_ok proc
if grep -q 'waiting for the CA: certificate issuance; next check at [0-9:]* (in 3 s)' "$CF_TMP/last-issue.err"; then
	t_pass "proc: says what it waits for and until when"
else
	t_fail "proc: says what it waits for and until when" "$(head -c 300 "$CF_TMP/last-issue.err")"
fi
if [ "$(count ' POST /my-order/[^ ]* 200 rule:0 ')" -eq 3 ]; then
	t_pass "proc: three processing answers were polled through"
else
	t_fail "proc: three processing answers were polled through" "$(count ' rule:0 ')"
fi
# From the first processing answer on, each poll waits the 3 s asked.
grep -E ' POST /my-order/' "$FP_LOG" | awk '$5 == "rule:0" || seen { seen = 1; print }' >"$CF_TMP/proc-polls"
FP_LOG="$CF_TMP/proc-polls" expect_min_gap "proc" ' POST /my-order/' 3000
one_new_order proc

# ---- an unknown challenge type listed first ----
scenario chal '[{"match":{"method":"POST","path":"^/authZ/"},"action":{"inject_challenge":{"type":"sectigo-email-01"}}}]'
issued_ok chal
# The rule must have fired (an authorization carried the injected
# challenge) for "never fetched" to mean anything.
injected=$(count ' POST /authZ/[^ ]* 200 rule:0 ')
if [ "$injected" -ge 1 ] && [ "$(count ' /chalZ/faultproxy-injected')" -eq 0 ]; then
	t_pass "chal: the unknown challenge was ignored ($injected authorizations carried it)"
else
	t_fail "chal: the unknown challenge was ignored" \
		"$injected authorizations carried it; $(count ' /chalZ/faultproxy-injected') requests for it"
fi

# ---- the directory only at the endpoint URL; /directory answers 403 ----
scenario dirpath '[]' --directory-path /acme/v2/DV
DIR_URL="$FP_URL/acme/v2/DV"
issued_ok dirpath
if [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$PEBBLE_CA" "$FP_URL/directory")" = 403 ] &&
	[ "$(count ' GET /acme/v2/DV ')" -eq 1 ]; then
	t_pass "dirpath: used the URL as given (directory fetched once); /directory is 403"
else
	t_fail "dirpath: used the URL as given" "$(count ' GET /acme/v2/DV ') fetches"
fi

# ---- finalize held open 60 s ----
scenario hold '[{"match":{"method":"POST","path":"^/finalize-order/"},"action":{"delay_ms":60000}}]'
issued_ok hold
if grep -E ' POST /finalize-order/[^ ]* 200 ' "$FP_LOG" | awk '$6 >= 60000 { f = 1 } END { exit !f }'; then
	t_pass "hold: waited out a finalize held 60 s, without retrying it"
else
	t_fail "hold: waited out a finalize held 60 s" "$(grep finalize "$FP_LOG")"
fi
if [ "$(count ' POST /finalize-order/')" -eq 1 ]; then
	t_pass "hold: one finalize request"
else
	t_fail "hold: one finalize request"
fi
if grep -q 'waiting for the CA to answer POST .*/finalize-order/.* s so far' "$CF_TMP/last-issue.err"; then
	t_pass "hold: says what it waits for while the CA holds the request"
else
	t_fail "hold: says what it waits for" "$(head -c 300 "$CF_TMP/last-issue.err")"
fi

# ---- bodies that are not what they should be, and a server that never answers ----
scenario big '[{"match":{"path":"^/certZ/"},"action":{"pad_body_to":20000000}}]'
t_run issue_via big
if [ "$T_RC" -eq 1 ] && grep -q '^error:.*larger than the' "$T_ERR"; then
	t_pass "big: a 20 MB body ends in a clear error (exit 1)"
else
	t_fail "big: a 20 MB body ends in a clear error" "exit $T_RC: $(tail -n 2 "$T_ERR")"
fi

scenario html '[{"match":{"path":"^/dir$"},"action":{"status":200,"body":"<html><body>Login</body></html>","content_type":"text/html"}}]'
t_run issue_via html
# Not an ACME directory at --server: bad input (docs/certferry.1).
if [ "$T_RC" -eq 2 ] && grep -q '^error:.*text/html instead of JSON' "$T_ERR"; then
	t_pass "html: an HTML directory ends in a clear error (exit 2)"
else
	t_fail "html: an HTML directory ends in a clear error" "exit $T_RC: $(tail -n 2 "$T_ERR")"
fi

scenario hang '[{"match":{"path":"^/dir$"},"action":{"hang":true}}]'
start=$(date +%s)
t_run "$CF" --state-dir "$STATE" --server "$DIR_URL" --ca-bundle "$PEBBLE_CA" \
	--http-timeout 2 issue -d hang.faults.test --wait 8 \
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1
took=$(($(date +%s) - start))
if [ "$T_RC" -eq 1 ] && grep -qi '^error:.*timed\? \?out' "$T_ERR" && [ "$took" -le 40 ]; then
	t_pass "hang: a server that never answers ends in a clear error (${took} s)"
else
	t_fail "hang: a server that never answers ends in a clear error" \
		"exit $T_RC after ${took} s: $(tail -n 2 "$T_ERR")"
fi

# ---- all of it at once ----
scenario all '[
 {"match":{"method":"POST","path":"^/my-order/"},"armed_by":{"method":"POST","path":"^/finalize-order/"},"times":2,"action":{"fake_processing":true,"retry_after":"1"}},
 {"match":{"method":"POST"},"every":3,"action":{"status":500}},
 {"match":{"path":"^/order-plz$"},"times":1,"action":{"status":429,"retry_after":"1"}},
 {"match":{"method":"POST","path":"^/finalize-order/"},"action":{"delay_ms":60000,"rewrite_status":201}},
 {"match":{"method":"POST","path":"^/authZ/"},"action":{"inject_challenge":{"type":"sectigo-email-01"}}}
]' --directory-path /acme/v2/DV
DIR_URL="$FP_URL/acme/v2/DV"
issued_ok all
one_new_order all
t_done
