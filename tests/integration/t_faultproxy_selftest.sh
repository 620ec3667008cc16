#!/usr/bin/env bash
# Self-test of tests/tools/faultproxy (docs/TESTING-PROXY.md): starts Pebble
# and faultproxy instances in front of it, and checks with curl (plus a tiny
# bash+openssl ACME client for the JWS-signed parts) that:
#   - the directory passes through carrying only proxy URLs; keep-alive works
#   - a full issuance works through the proxy (Pebble accepts the JWS "url",
#     so the Host-header approach holds), with an injected challenge type
#     first in the authorization, finalize rewritten to 201, and faked
#     "processing" order polls with Retry-After
#   - a 500 rule answers 500 without forwarding (Pebble never sees it)
#   - a 429 rule answers with Retry-After (delta and IMF-fixdate)
#   - a delay rule delays, and does not block other connections
#   - hang / drop / oversize / HTML bodies
#   - --directory-path: directory at the endpoint path, /dir and /directory 403
#   - --ari: renewalInfo in the directory, /renewal-info answers from the
#     control file; reject_replaces + the "replaces" log mark
#   - SIGTERM stops it (exit 0) even with a hanging connection
set -uo pipefail

# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FP="$BUILD/tools/faultproxy"
skip_unless_cmd pebble pebble-challtestsrv openssl curl jq basenc
if [ ! -x "$FP" ]; then
	t_fail "$T_SCRIPT" "faultproxy not built: $FP (make $FP)"
	exit 1
fi

t_pebble_start
W="$CF_TMP/fp"
mkdir -p "$W"
CA="$PEBBLE_CA"
{ read -r PA; read -r PB; read -r PC; } <<<"$(cf_freeports 3)"
A="https://127.0.0.1:$PA"
B="https://127.0.0.1:$PB"
C="https://127.0.0.1:$PC"

# fp_start NAME PORT ARGS...: start a proxy (cert from Pebble's throwaway CA)
# and wait until it answers.  Sets FP_PID.
fp_start() {
	local name=$1 port=$2
	shift 2
	cf_spawn "$W/$name.stderr" "$FP" --listen "127.0.0.1:$port" \
		--cert "$CF_TMP/ca/server.pem" --key "$CF_TMP/ca/server.key" \
		--upstream "https://127.0.0.1:$PEBBLE_PORT" --upstream-ca "$CA" \
		--log "$W/$name.log" "$@"
	FP_PID=$CF_LAST_PID
	if ! cf_wait_for 10 "$FP_PID" curl -s -o /dev/null --cacert "$CA" \
		"https://127.0.0.1:$port/faultproxy-ready"; then
		t_fail "$T_SCRIPT: start proxy $name" "did not answer"
		t_tail "$W/$name.stderr"
		exit 1
	fi
}

# fp_log_count NAME REGEX: lines of proxy NAME's log matching REGEX.
fp_log_count() {
	grep -cE "$2" "$W/$1.log" || true
}

# get URL [curl args]: body to $W/body, headers to $W/hdr, status printed.
get() {
	local url=$1
	shift
	curl -s --cacert "$CA" -D "$W/hdr" -o "$W/body" -w '%{http_code}' "$@" "$url"
}

hdr() {
	tr -d '\r' <"$W/hdr" | sed -n "s/^$1: *//Ip" | tail -n 1
}

expect_eq() {
	if [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1" "want '$3', got '$2'"
	fi
}

# ---- proxy A: plain forwarding plus fault rules -------------------------
cat >"$W/rules-a.json" <<'EOF'
[
 {"comment": "0", "match": {"method": "POST", "path": "^/sign-me-up$"},
  "every": 2, "action": {"status": 500, "nonce": true}},
 {"comment": "1", "match": {"path": "^/order-plz$"}, "times": 1,
  "action": {"status": 429, "retry_after": "2"}},
 {"comment": "2", "match": {"path": "^/revoke-cert$"}, "times": 1,
  "action": {"status": 429, "retry_after_date": 2}},
 {"comment": "3", "match": {"path": "^/slow"}, "action": {"delay_ms": 1500}},
 {"comment": "4", "match": {"method": "HEAD", "path": "^/nonce-plz$"},
  "action": {"rewrite_status": 201, "add_headers": {"X-Faultproxy": "yes"}}},
 {"comment": "5", "match": {"path": "^/hang$"}, "action": {"hang": true}},
 {"comment": "6", "match": {"path": "^/drop$"}, "action": {"drop": true}},
 {"comment": "7", "match": {"path": "^/big$"},
  "action": {"status": 200, "body": "{}", "content_type": "application/json",
             "pad_body_to": 20000000}},
 {"comment": "8", "match": {"path": "^/html$"},
  "action": {"status": 503, "body": "<html><body>busy</body></html>",
             "content_type": "text/html"}}
]
EOF
fp_start a "$PA" --rules "$W/rules-a.json"
PID_A=$FP_PID

st=$(get "$A/dir")
expect_eq "directory passes through" "$st" 200
urls=$(jq -r '[.newNonce, .newAccount, .newOrder, .revokeCert, .keyChange] | .[]' "$W/body")
if [ "$(grep -c "^$A/" <<<"$urls")" = 5 ] && ! grep -q ":$PEBBLE_PORT" "$W/body" "$W/hdr"; then
	t_pass "directory carries only proxy URLs"
else
	t_fail "directory carries only proxy URLs" "$(tr '\n' ' ' <"$W/body")"
fi
n=$(curl -s --cacert "$CA" -o /dev/null -o /dev/null -w '%{num_connects}\n' \
	"$A/dir" "$A/dir" | awk '{s += $1} END {print s}')
expect_eq "two requests over one kept-alive connection" "$n" 1

before=$(pebble_count_requests /sign-me-up)
st1=$(get "$A/sign-me-up" -d '{}' -H 'Content-Type: application/jose+json')
st2=$(get "$A/sign-me-up" -d '{}' -H 'Content-Type: application/jose+json')
after=$(pebble_count_requests /sign-me-up)
if [ "$st1" != 500 ] && [ "$st2" = 500 ] && [ $((after - before)) = 1 ]; then
	t_pass "every-2nd 500 rule answers without forwarding"
else
	t_fail "every-2nd 500 rule answers without forwarding" \
		"statuses $st1 $st2, Pebble saw $((after - before)) (want 1)"
fi
expect_eq "500 rule: serverInternal problem" "$(jq -r .type "$W/body")" \
	"urn:ietf:params:acme:error:serverInternal"
if [ -n "$(hdr Replay-Nonce)" ]; then
	t_pass "500 rule: fresh Replay-Nonce added"
else
	t_fail "500 rule: fresh Replay-Nonce added" "no Replay-Nonce"
fi
expect_eq "log marks the 500 as rule:0" \
	"$(fp_log_count a ' POST /sign-me-up 500 rule:0 [0-9]+$')" 1

st=$(get "$A/order-plz" -d '{}')
expect_eq "429 rule: status" "$st" 429
expect_eq "429 rule: Retry-After delta" "$(hdr Retry-After)" 2
expect_eq "429 rule: rateLimited problem" "$(jq -r .type "$W/body")" \
	"urn:ietf:params:acme:error:rateLimited"
st=$(get "$A/order-plz" -d '{}')
if [ "$st" != 429 ]; then
	t_pass "429 rule fires only once (times)"
else
	t_fail "429 rule fires only once (times)" "second newOrder got 429"
fi
st=$(get "$A/revoke-cert" -d '{}')
ra=$(hdr Retry-After)
if [ "$st" = 429 ] && [[ "$ra" =~ ^(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]] &&
	d=$(($(date -d "$ra" +%s) - $(date +%s))) && [ "$d" -ge 1 ] && [ "$d" -le 3 ]; then
	t_pass "429 rule: Retry-After IMF-fixdate about now+2s"
else
	t_fail "429 rule: Retry-After IMF-fixdate about now+2s" "status $st, Retry-After '$ra'"
fi

t0=$(date +%s%N)
curl -s --cacert "$CA" -o /dev/null "$A/slow/1" &
slow_pid=$!
sleep 0.2
t1=$(date +%s%N)
get "$A/dir" >/dev/null
t2=$(date +%s%N)
wait "$slow_pid"
t3=$(date +%s%N)
if [ $(((t3 - t0) / 1000000)) -ge 1450 ]; then
	t_pass "delay rule holds the request"
else
	t_fail "delay rule holds the request" "took $(((t3 - t0) / 1000000)) ms"
fi
if [ $(((t2 - t1) / 1000000)) -lt 1000 ]; then
	t_pass "a held request does not block another connection"
else
	t_fail "a held request does not block another connection" \
		"directory took $(((t2 - t1) / 1000000)) ms"
fi
dur=$(awk '$3 == "/slow/1" {print $6}' "$W/a.log")
if [ -n "$dur" ] && [ "$dur" -ge 1500 ]; then
	t_pass "log records the held duration"
else
	t_fail "log records the held duration" "duration '$dur'"
fi

st=$(get "$A/nonce-plz" -I)
if [ "$st" = 201 ] && [ -n "$(hdr Replay-Nonce)" ] && [ "$(hdr X-Faultproxy)" = yes ]; then
	t_pass "rewrite_status + add_headers on a forwarded answer"
else
	t_fail "rewrite_status + add_headers on a forwarded answer" "status $st"
fi

st=$(get "$A/big")
expect_eq "pad_body_to: 20 MB body" "$(stat -c %s "$W/body")" 20000000
st=$(get "$A/html")
if [ "$st" = 503 ] && [ "$(hdr Content-Type)" = text/html ] && grep -q '<html>' "$W/body"; then
	t_pass "custom HTML body"
else
	t_fail "custom HTML body" "status $st"
fi
t_expect_fail "drop closes without an answer" curl -s --cacert "$CA" -m 5 "$A/drop"
t_run curl -s --cacert "$CA" -m 2 "$A/hang"
expect_eq "hang: client times out (curl exit 28)" "$T_RC" 28
expect_eq "hang is logged with status 0 after the client left" \
	"$(fp_log_count a ' GET /hang 0 rule:5 ')" 1

# ---- proxy B: directory at an endpoint URL, ARI, reject_replaces --------
cat >"$W/rules-b.json" <<'EOF'
{"rules": [
 {"match": {"method": "POST", "path": "^/order-plz$"},
  "action": {"reject_replaces": true}}
]}
EOF
echo '{"window_start_offset_s": -3600, "window_end_offset_s": -60, "retry_after": 21600, "status": 200}' >"$W/ari.json"
fp_start b "$PB" --rules "$W/rules-b.json" --directory-path /acme/v2/DV \
	--ari --ari-control "$W/ari.json"
PID_B=$FP_PID

st=$(get "$B/acme/v2/DV")
if [ "$st" = 200 ] && [ "$(jq -r .newOrder "$W/body")" = "$B/order-plz" ]; then
	t_pass "directory served at --directory-path"
else
	t_fail "directory served at --directory-path" "status $st"
fi
expect_eq "ARI: renewalInfo in the directory" "$(jq -r .renewalInfo "$W/body")" \
	"$B/renewal-info"
expect_eq "/dir answers 403" "$(get "$B/dir")" 403
expect_eq "/directory answers 403" "$(get "$B/directory")" 403
get "$B/nonce-plz" -I >/dev/null
case "$(hdr Link)" in
*"<$B/acme/v2/DV>"*) t_pass "Link rel=index points at the directory path" ;;
*) t_fail "Link rel=index points at the directory path" "Link: $(hdr Link)" ;;
esac

st=$(get "$B/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
now=$(date +%s)
ws=$(date -d "$(jq -r .suggestedWindow.start "$W/body")" +%s 2>/dev/null || echo 0)
we=$(date -d "$(jq -r .suggestedWindow.end "$W/body")" +%s 2>/dev/null || echo 0)
if [ "$st" = 200 ] && [ $((now - ws)) -ge 3590 ] && [ $((now - ws)) -le 3610 ] &&
	[ $((now - we)) -ge 50 ] && [ $((now - we)) -le 70 ] &&
	[ "$(hdr Retry-After)" = 21600 ]; then
	t_pass "ARI: renewal-info window from the control file"
else
	t_fail "ARI: renewal-info window from the control file" \
		"status $st, body $(tr -d '\n' <"$W/body")"
fi
echo '{"status": 503, "retry_after": 30}' >"$W/ari.json"
st=$(get "$B/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
if [ "$st" = 503 ] && [ "$(hdr Retry-After)" = 30 ]; then
	t_pass "ARI: control file re-read, status 503"
else
	t_fail "ARI: control file re-read, status 503" "status $st"
fi
expect_eq "ARI: malformed certID answers 400" "$(get "$B/renewal-info/nodot")" 400

jws_with_payload() {
	printf '{"protected":"e30","payload":"%s","signature":"AA"}' \
		"$(printf '%s' "$1" | basenc --base64url | tr -d '=\n')"
}
before=$(pebble_count_requests /order-plz)
st=$(get "$B/order-plz" -H 'Content-Type: application/jose+json' \
	-d "$(jws_with_payload '{"identifiers":[],"replaces":"aa.bb"}')")
expect_eq "reject_replaces: 400 malformed" "$st $(jq -r .type "$W/body")" \
	"400 urn:ietf:params:acme:error:malformed"
st=$(get "$B/order-plz" -H 'Content-Type: application/jose+json' \
	-d "$(jws_with_payload '{"identifiers":[]}')")
after=$(pebble_count_requests /order-plz)
expect_eq "newOrder without replaces is forwarded" "$((after - before))" 1
expect_eq "log marks the newOrder that carried replaces" \
	"$(fp_log_count b ' POST /order-plz 400 rule:0 [0-9]+ replaces$') $(fp_log_count b 'replaces$')" "1 1"

# ---- proxy C: a full issuance through the proxy --------------------------
cat >"$W/rules-c.json" <<'EOF'
[
 {"match": {"method": "POST", "path": "^/authZ/"},
  "action": {"inject_challenge": {"type": "sectigo-email-01"}}},
 {"match": {"method": "POST", "path": "^/finalize-order/"},
  "action": {"rewrite_status": 201}},
 {"match": {"method": "POST", "path": "^/my-order/"},
  "armed_by": {"method": "POST", "path": "^/finalize-order/"},
  "times": 2, "action": {"fake_processing": true, "retry_after": "1"}}
]
EOF
fp_start c "$PC" --rules "$W/rules-c.json"
PID_C=$FP_PID

b64u() {
	basenc --base64url | tr -d '=\n'
}
b64u_decode() {
	local s
	s=$(tr '_-' '/+')
	while [ $((${#s} % 4)) -ne 0 ]; do
		s="$s="
	done
	printf '%s' "$s" | base64 -d
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/acct.key" 2>/dev/null
openssl pkey -in "$W/acct.key" -pubout -outform DER 2>/dev/null | tail -c 64 >"$W/acct.pub"
JWK=$(printf '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' \
	"$(head -c 32 "$W/acct.pub" | b64u)" "$(tail -c 32 "$W/acct.pub" | b64u)")
THUMB=$(printf '%s' "$JWK" | openssl dgst -sha256 -binary | b64u)
KID=

# ES256 signature (raw r||s, base64url) of stdin with the account key.
es256() {
	openssl dgst -sha256 -sign "$W/acct.key" -binary |
		openssl asn1parse -inform DER 2>/dev/null |
		sed -n 's/.*INTEGER *:\([0-9A-F]*\)$/\1/p' |
		while read -r h; do printf '%064s' "$h" | tr ' ' 0; done |
		basenc --base16 -d | b64u
}

# acme_post URL PAYLOAD: JWS POST through the proxy (PAYLOAD "" is
# POST-as-GET); status printed, answer in $W/body and $W/hdr.
acme_post() {
	local url=$1 payload=$2 nonce prot p pl sig
	curl -s --cacert "$CA" -I -o /dev/null -D "$W/nhdr" "$C/nonce-plz"
	nonce=$(tr -d '\r' <"$W/nhdr" | sed -n 's/^replay-nonce: *//Ip')
	if [ -n "$KID" ]; then
		prot=$(jq -nc --arg n "$nonce" --arg u "$url" --arg k "$KID" \
			'{alg: "ES256", nonce: $n, url: $u, kid: $k}')
	else
		prot=$(jq -nc --arg n "$nonce" --arg u "$url" --argjson j "$JWK" \
			'{alg: "ES256", nonce: $n, url: $u, jwk: $j}')
	fi
	p=$(printf '%s' "$prot" | b64u)
	pl=
	if [ -n "$payload" ]; then
		pl=$(printf '%s' "$payload" | b64u)
	fi
	sig=$(printf '%s.%s' "$p" "$pl" | es256)
	get "$url" -H 'Content-Type: application/jose+json' \
		-d "{\"protected\":\"$p\",\"payload\":\"$pl\",\"signature\":\"$sig\"}"
}

get "$C/dir" >/dev/null
cp "$W/body" "$W/dir-c.json"
NEWACCT=$(jq -r .newAccount "$W/dir-c.json")
NEWORDER=$(jq -r .newOrder "$W/dir-c.json")
machex=$(printf '%s' "$EAB_HMAC" | b64u_decode | basenc --base16 | tr -d '\n')
ep=$(jq -nc --arg u "$NEWACCT" --arg k "$EAB_KID" '{alg: "HS256", kid: $k, url: $u}' | b64u)
epl=$(printf '%s' "$JWK" | b64u)
esig=$(printf '%s.%s' "$ep" "$epl" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$machex" -binary | b64u)
st=$(acme_post "$NEWACCT" "$(jq -nc --arg p "$ep" --arg pl "$epl" --arg s "$esig" \
	'{termsOfServiceAgreed: true, externalAccountBinding: {protected: $p, payload: $pl, signature: $s}}')")
KID=$(hdr Location)
if [ "$st" = 201 ] && [[ "$KID" == "$C/my-account/"* ]]; then
	t_pass "flow: newAccount through the proxy (Pebble accepts the JWS url)"
else
	t_fail "flow: newAccount through the proxy (Pebble accepts the JWS url)" \
		"status $st: $(tr -d '\n' <"$W/body")"
fi

NAME=fp-selftest.example.test
st=$(acme_post "$NEWORDER" "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"$NAME\"}]}")
ORDER=$(hdr Location)
cp "$W/body" "$W/order.json"
expect_eq "flow: newOrder 201 with a proxy Location" "$st ${ORDER%%/my-order/*}" "201 $C"
AUTHZ=$(jq -r '.authorizations[0]' "$W/order.json")
FINALIZE=$(jq -r .finalize "$W/order.json")
st=$(acme_post "$AUTHZ" "")
first=$(jq -r '.challenges[0].type' "$W/body")
if [ "$st" = 200 ] && [ "$first" = sectigo-email-01 ] &&
	[ "$(jq -r '[.challenges[].url | startswith("'"$C"'/")] | all' "$W/body")" = true ]; then
	t_pass "flow: unknown challenge type injected first"
else
	t_fail "flow: unknown challenge type injected first" "status $st, first '$first'"
fi
CHAL=$(jq -r '.challenges[] | select(.type == "dns-01") | .url' "$W/body")
TOKEN=$(jq -r '.challenges[] | select(.type == "dns-01") | .token' "$W/body")
txt=$(printf '%s.%s' "$TOKEN" "$THUMB" | openssl dgst -sha256 -binary | b64u)
jq -nc --arg h "_acme-challenge.$NAME." --arg v "$txt" '{host: $h, value: $v}' |
	curl -s -o /dev/null -d @- "$CHALLTEST_MGMT_URL/set-txt"
acme_post "$CHAL" '{}' >/dev/null
for _ in $(seq 50); do
	acme_post "$AUTHZ" "" >/dev/null
	[ "$(jq -r .status "$W/body")" = pending ] || break
	sleep 0.2
done
expect_eq "flow: authorization valid" "$(jq -r .status "$W/body")" valid

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/cert.key" 2>/dev/null
csr=$(openssl req -new -key "$W/cert.key" -subj "/CN=$NAME" \
	-addext "subjectAltName=DNS:$NAME" -outform DER 2>/dev/null | b64u)
st=$(acme_post "$FINALIZE" "{\"csr\":\"$csr\"}")
expect_eq "flow: finalize status rewritten to 201" "$st" 201
polls=
for _ in $(seq 10); do
	acme_post "$ORDER" "" >/dev/null
	s=$(jq -r .status "$W/body")
	polls="$polls $s/$(hdr Retry-After)/$(jq -r '.certificate // "-"' "$W/body" | sed 's/^https.*/url/')"
	[ "$s" = valid ] && break
	sleep "$(hdr Retry-After | grep -E '^[0-9]+$' || echo 0.3)"
done
case "$polls" in
" processing/1/- processing/1/- valid//url")
	t_pass "flow: first 2 polls after finalize faked as processing + Retry-After" ;;
*) t_fail "flow: first 2 polls after finalize faked as processing + Retry-After" \
	"polls:$polls" ;;
esac
CERTURL=$(jq -r .certificate "$W/body")
st=$(acme_post "$CERTURL" "")
if [ "$st" = 200 ] && openssl x509 -in "$W/body" -noout 2>/dev/null &&
	[ "$(cert_sans "$W/body")" = "$NAME" ]; then
	t_pass "flow: certificate downloaded through the proxy"
else
	t_fail "flow: certificate downloaded through the proxy" "status $st"
fi
iv=$(awk '$3 ~ /^\/my-order\// {print $1}' "$W/c.log" | head -n 2 | paste -sd' ')
read -r p1 p2 <<<"$iv"
if [ -n "${p2:-}" ] && [ $((p2 - p1)) -ge 950 ]; then
	t_pass "log timestamps show the Retry-After poll interval"
else
	t_fail "log timestamps show the Retry-After poll interval" "'$iv'"
fi

# ---- SIGTERM --------------------------------------------------------------
# fp_term NAME PID: TERM one of our proxies, expect exit 0 within 5 s.
fp_term() {
	local name=$1 pid=$2 i rc keep=() p
	kill -TERM "$pid"
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		t_fail "SIGTERM stops proxy $name" "still running after 5 s"
		cf_stop_pid "$pid"
		return
	fi
	wait "$pid"
	rc=$?
	# reaped: forget the PID so the exit trap never signals a reused one
	for p in "${CF_PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	CF_PIDS=("${keep[@]}")
	if [ "$rc" = 0 ]; then
		t_pass "SIGTERM stops proxy $name (exit 0)"
	else
		t_fail "SIGTERM stops proxy $name (exit 0)" "exit status $rc"
		t_tail "$W/$name.stderr"
	fi
}
curl -s --cacert "$CA" -m 30 -o /dev/null "$A/hang" &
hang_pid=$!
curl -s --cacert "$CA" -m 30 -o /dev/null "$A/slow/2" &
slow_pid=$!
sleep 0.5
fp_term a "$PID_A"
wait "$hang_pid" "$slow_pid" 2>/dev/null
fp_term b "$PID_B"
fp_term c "$PID_C"

t_done
