#!/usr/bin/env bash
# `make bench`: measure one issuance against a local Pebble and print a
# markdown section for docs/PERFORMANCE.md.
#
# Pebble runs with PEBBLE_VA_NOSLEEP=1 and PEBBLE_WFE_NONCEREJECT=0, so the
# numbers are the client's and the loopback round trips, not Pebble's
# artificial delays.  Registration and issuance (one name, ec256, standalone
# http-01) each run under /usr/bin/time -v (wall time, max RSS).  Requests per
# ACME endpoint come from Pebble's log (one "METHOD /path -> calling handler()"
# line per request) and from certferry -v ("http: METHOD URL -> STATUS (N ms)").
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/integration/lib.sh"

die() {
	printf 'bench: error: %s\n' "$*" >&2
	exit 1
}

[ -x "$CF" ] || die "$CF is not built (run: make)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (package time; scripts/install-deps.sh)"
# BENCH_SECTIONS: which parts to run (default all of: single scan outage
# bulk peers).
want() { [[ " ${BENCH_SECTIONS:-single scan outage bulk peers} " == *" $1 "* ]]; }
pebble_start PEBBLE_WFE_NONCEREJECT=0 PEBBLE_VA_NOSLEEP=1 ||
	die "Pebble did not start"
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC

# measure LABEL ARGS...: runs certferry -v ARGS under time -v; appends
# "LABEL<TAB>seconds<TAB>maxrss_kib" to $CF_TMP/times and keeps its stderr.
measure() {
	local label=$1 tf="$CF_TMP/time.$2" ef="$CF_TMP/stderr.$2"
	shift 2
	if ! /usr/bin/time -v -o "$tf" "$CF" -v --state-dir "$STATE" \
		--server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" "$@" \
		>/dev/null 2>"$ef"; then
		tail -n 20 "$ef" >&2
		die "$label failed"
	fi
	awk -v label="$label" -F': ' '
		/Elapsed \(wall clock\)/ {
			n = split($2, p, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + p[i]
		}
		/Maximum resident set size/ { rss = $2 }
		END { printf "%s\t%.2f\t%d\n", label, s, rss }' "$tf" >>"$CF_TMP/times"
}

# ACME resource name for a Pebble path.
endpoint_awk='
function endpoint(path) {
	if (path ~ /^\/dir/) return "directory"
	if (path ~ /^\/nonce-plz/) return "newNonce"
	if (path ~ /^\/sign-me-up/) return "newAccount"
	if (path ~ /^\/order-plz/) return "newOrder"
	if (path ~ /^\/authZ\//) return "authorization"
	if (path ~ /^\/chalZ\//) return "challenge"
	if (path ~ /^\/finalize-order\//) return "finalize"
	if (path ~ /^\/my-order\//) return "order"
	if (path ~ /^\/certZ\//) return "certificate"
	if (path ~ /^\/my-account\//) return "account"
	return path
}'

# Table rows follow the order of an issuance.
flow_order="directory newNonce newAccount account newOrder authorization challenge order finalize certificate"

if want single; then
: >"$CF_TMP/times"
measure "account register" register account register --agree-tos
cp "$PEBBLE_LOG" "$CF_TMP/pebble.after-register"
measure "issue (1 name, ec256, standalone http-01)" issue \
	issue -d bench.example.test --http-port "$HTTP01_PORT" --http-address 127.0.0.1
cp "$PEBBLE_LOG" "$CF_TMP/pebble.after-issue"
names=()
for i in $(seq 1 12); do names+=(-d "n$i.bench.example.test"); done
measure "issue (12 names, ec256, standalone http-01)" issue12 \
	issue "${names[@]}" --http-port "$HTTP01_PORT" --http-address 127.0.0.1
measure "issue (1 name, rsa2048)" issuersa \
	issue -d rsa.bench.example.test --key-type rsa2048 \
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1

# Requests of the issuance only: Pebble log lines after registration.
tail -n +"$(($(wc -l <"$CF_TMP/pebble.after-register") + 1))" "$CF_TMP/pebble.after-issue" |
	awk "$endpoint_awk"'
	$4 ~ /^(GET|HEAD|POST)$/ && $6 == "->" { print endpoint($5) "\t" $4 }' |
	sort | uniq -c | awk '{ printf "%s\t%s\t%d\n", $2, $3, $1 }' >"$CF_TMP/pebble.counts"

# certferry -v lines: "http: METHOD URL -> STATUS (N ms)".
sed -n 's/^http: \([A-Z]*\) https\?:\/\/[^/]*\([^ ]*\) -> \([0-9]*\) (\([0-9]*\) ms).*/\1 \2 \3 \4/p' \
	"$CF_TMP/stderr.issue" |
	awk "$endpoint_awk"'
	{ k = endpoint($2) "\t" $1; n[k]++; ms[k] += $4 }
	END { for (k in n) printf "%s\t%d\t%d\n", k, n[k], ms[k] }' |
	sort >"$CF_TMP/cf.counts"

echo "## Local issuance benchmark"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -sr), $("$CF" --version 2>/dev/null | head -n 1), Pebble $(dpkg-query -W -f='${Version}' pebble 2>/dev/null) on 127.0.0.1"
echo "(PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0)."
echo
echo "| step | wall time | max RSS |"
echo "| --- | ---: | ---: |"
awk -F'\t' '{ printf "| %s | %.2f s | %.1f MiB |\n", $1, $2, $3 / 1024 }' "$CF_TMP/times"
echo
echo "Requests of the issuance, per ACME endpoint:"
echo
echo "| endpoint | method | requests (Pebble log) | requests (certferry -v) | time in requests (certferry -v) |"
echo "| --- | --- | ---: | ---: | ---: |"
join -t $'\t' -a 1 -a 2 -e '-' -o 0,1.2,2.2,2.3 \
	<(awk -F'\t' '{ print $1 "|" $2 "\t" $3 }' "$CF_TMP/pebble.counts" | sort) \
	<(awk -F'\t' '{ print $1 "|" $2 "\t" $3 "\t" $4 }' "$CF_TMP/cf.counts" | sort) |
	awk -F'\t' -v order="$flow_order" '
	BEGIN { n = split(order, o, " "); for (i = 1; i <= n; i++) rank[o[i]] = i }
	{
		split($1, k, "|")
		ms = ($4 == "-") ? "-" : $4 " ms"
		r = (k[1] in rank) ? rank[k[1]] : 99
		printf "%02d\t| %s | %s | %s | %s | %s |\n", r, k[1], k[2], $2, $3, ms
		tp += ($2 == "-") ? 0 : $2; tc += ($3 == "-") ? 0 : $3
	} END { printf "99\t| **total** | | %d | %d | |\n", tp, tc }' |
	sort -s -t $'\t' -k1,1n | cut -f2-
if [ ! -s "$CF_TMP/cf.counts" ]; then
	echo
	echo "(certferry -v printed no \"http: METHOD URL -> STATUS (N ms)\" lines.)"
fi

fi # single

# ---------------------------------------------------------------------------
# Scale (issue 13): the renewal scan, a CA outage, bulk issuance, and the
# peers that Debian packages.  Sizes: BENCH_DEFS (10000), BENCH_OUTAGE
# (2000), BENCH_BULK (100; with its serial sample of 10, about 2.5 minutes).
# Peers are installed here (apt-get, as root) unless BENCH_NO_INSTALL=1;
# a peer that is missing is skipped and named.

if want scan || want outage; then
GEN="$BUILD/tools/gendefs"
[ -x "$GEN" ] || die "$GEN is not built (run: make build-tests)"

# tmeasure LABEL CMD...: wall, CPU (user+sys) and max RSS of CMD (output
# discarded); prints a table row.
tmeasure() {
	local label=$1 tf="$CF_TMP/tm.$RANDOM"
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >/dev/null 2>"$tf.err" || true
	tail -n 1 "$tf" | awk -v l="$label" '{ printf "| %s | %.2f s | %.2f s | %.1f MiB |\n", l, $1, $2 + $3, $4 / 1024 }'
}

pem="$CF_TMP/scale-pem"
mkdir -p "$pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$pem/privkey.pem" -out "$pem/cert.pem" -days 90 \
	-subj /CN=x.scale.test -addext subjectAltName=DNS:x.scale.test 2>/dev/null
: >"$pem/chain.pem"
cp "$pem/cert.pem" "$pem/fullchain.pem"
dead=$(cf_freeports 1)
fi

if want scan; then
defs=${BENCH_DEFS:-10000}
echo
echo "## Renewal scan: $defs definitions, nothing due"
echo
echo "Synthetic definitions (tests/tools/gendefs), each with a PEM store; the"
echo "CA's port is closed (nothing due asks it anything).  The first renew"
echo "verifies every store in full and records its fingerprint; the next ones"
echo "take the stat(2) fast path.  Memory: the same run over 1,000."
echo
echo "| step | wall time | CPU | max RSS |"
echo "| --- | ---: | ---: | ---: |"
"$GEN" --state "$CF_TMP/scan" --server "https://127.0.0.1:$dead/dir" \
	--from "$pem" --count 1000 --pem-stores "$CF_TMP/scanstores" ||
	die "gendefs failed"
"$CF" --state-dir "$CF_TMP/scan" renew >/dev/null 2>&1 || true
tmeasure "renew, 1000 definitions" "$CF" --state-dir "$CF_TMP/scan" renew
if [ "$defs" -gt 1000 ]; then
	"$GEN" --state "$CF_TMP/scan" --server "https://127.0.0.1:$dead/dir" \
		--from "$pem" --count $((defs - 1000)) --prefix d \
		--pem-stores "$CF_TMP/scanstores" || die "gendefs failed"
fi
tmeasure "renew, $defs definitions, first run (full store checks)" \
	"$CF" --state-dir "$CF_TMP/scan" renew
tmeasure "renew, $defs definitions" "$CF" --state-dir "$CF_TMP/scan" renew
tmeasure "renew --jobs 1, $defs definitions" "$CF" --state-dir "$CF_TMP/scan" renew --jobs 1
tmeasure "list, $defs definitions" "$CF" --state-dir "$CF_TMP/scan" list
tmeasure "list --json, $defs definitions" "$CF" --state-dir "$CF_TMP/scan" list --json
rm -rf "$CF_TMP/scan" "$CF_TMP/scanstores"

fi # scan

if want outage; then
outage=${BENCH_OUTAGE:-2000}
echo
echo "## CA outage: $outage definitions, renewal information due, CA refusing connections"
echo
echo "| step | wall time | CPU | max RSS |"
echo "| --- | ---: | ---: | ---: |"
"$GEN" --state "$CF_TMP/outage" --server "https://127.0.0.1:$dead/dir" \
	--from "$pem" --count "$outage" --due 10 --ari || die "gendefs failed"
tmeasure "renew (10 due), CA unreachable" "$CF" --state-dir "$CF_TMP/outage" \
	--ca-bundle "$pem/cert.pem" renew
rm -rf "$CF_TMP/outage"

fi # outage

# ---- bulk issuance with Pebble's realistic validation delays (0-15 s)
# BENCH_BULK certificates at once (issue --from FILE --jobs BENCH_JOBS
# --per-ca BENCH_JOBS), then renewed the same way; serial: a sample of
# BENCH_BULK_SERIAL issues one after another, extrapolated to BENCH_BULK
# (the serial time is linear in the count: each issue waits for its own
# validation).
bulk_bench() {
	local bulk=${BENCH_BULK:-100} serial=${BENCH_BULK_SERIAL:-10} jobs=${BENCH_JOBS:-32}
	local t0 t1 t2 t3 t4 t5 i
	pebble_start PEBBLE_WFE_NONCEREJECT=0 PEBBLE_VA_NOSLEEP= ||
		die "Pebble (with validation delays) did not start"
	export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
	BS="$CF_TMP/bulk"
	B=("$CF" --state-dir "$BS" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA")
	"${B[@]}" account register --agree-tos >/dev/null 2>&1 || die "bulk: register failed"
	t0=$(date +%s.%N)
	for i in $(seq 1 "$serial"); do
		"${B[@]}" issue -d "s$i.bulk.test" --http-port "$HTTP01_PORT" \
			--http-address 127.0.0.1 >/dev/null 2>&1 || die "bulk: issue s$i failed"
	done
	t1=$(date +%s.%N)
	for i in $(seq 1 "$bulk"); do echo "b$i.bulk.test"; done >"$CF_TMP/bulk.txt"
	t2=$(date +%s.%N)
	"${B[@]}" issue --from "$CF_TMP/bulk.txt" --jobs "$jobs" --per-ca "$jobs" \
		--http-port "$HTTP01_PORT" --http-address 127.0.0.1 >"$CF_TMP/bulk.issue" 2>&1 || true
	t3=$(date +%s.%N)
	tomorrow=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
	ago=$(date -u -d '-89 days' +%Y-%m-%dT%H:%M:%SZ)
	for f in "$BS"/renewals/b*.json; do
		jq --arg t "$tomorrow" --arg b "$ago" \
			'.current.not_after = $t | .current.not_before = $b' "$f" >"$f.tmp" &&
			mv "$f.tmp" "$f"
	done
	t4=$(date +%s.%N)
	"${B[@]}" renew --jobs "$jobs" --per-ca "$jobs" >"$CF_TMP/bulk.out" 2>&1 || true
	t5=$(date +%s.%N)
	echo
	echo "## Bulk: $bulk certificates, Pebble's validation delays (PEBBLE_VA_NOSLEEP unset)"
	echo
	echo "| run | wall time | per certificate |"
	echo "| --- | ---: | ---: |"
	awk -v a="$t0" -v b="$t1" -v n="$serial" -v m="$bulk" 'BEGIN {
		printf "| one after another: %d issues measured | %.1f s | %.2f s |\n", n, b - a, (b - a) / n
		printf "| one after another: %d, extrapolated (%d x the per-certificate time) | %.1f s | |\n", m, m, (b - a) / n * m }'
	awk -v a="$t2" -v b="$t3" -v n="$bulk" -v j="$jobs" 'BEGIN { printf "| issue --from FILE --jobs %d --per-ca %d | %.1f s | %.2f s |\n", j, j, b - a, (b - a) / n }'
	awk -v a="$t4" -v b="$t5" -v n="$bulk" -v j="$jobs" 'BEGIN { printf "| renew --jobs %d --per-ca %d | %.1f s | %.2f s |\n", j, j, b - a, (b - a) / n }'
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="$serial" -v m="$bulk" \
		'BEGIN { printf "\nSpeed-up of issue --from over one after another: %.1fx.  ", (b - a) / n * m / (d - c) }'
	echo "$(tail -n 1 "$CF_TMP/bulk.issue"); $(tail -n 1 "$CF_TMP/bulk.out")"
}
if want bulk; then
	bulk_bench
fi

if want peers; then
# ---- peers (Debian packages), same Pebble without delays
peers=(lego certbot uacme dehydrated acme-tiny)
missing=()
for p in "${peers[@]}"; do command -v "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ] && [ "${BENCH_NO_INSTALL:-0}" != 1 ] &&
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "bench: installing the peers: ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}" </dev/null >"$CF_TMP/apt.log" 2>&1 ||
		echo "bench: apt-get could not install every peer (see below)" >&2
fi
# acme-tiny has no EAB: this Pebble accepts accounts without one.  Every
# other client still registers with EAB, in its set-up (not timed).
CF_PEBBLE_EAB_REQUIRED=0 pebble_start PEBBLE_WFE_NONCEREJECT=0 PEBBLE_VA_NOSLEEP=1 ||
	die "Pebble did not start"
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
side="$CF_TMP/side"
web="$side/web"
mkdir -p "$web/.well-known/acme-challenge"

# peer_time LABEL SETUP-FUNC RUN-FUNC: SETUP once (not timed), then RUN-FUNC
# N for N = 1 2 3 under time; prints "LABEL<TAB>seconds<TAB>maxrss_kib<TAB>
# requests" of the fastest run (requests: Pebble's log lines of that run),
# or "LABEL<TAB>setup-failed|failed" with the tail of the output on stderr.
peer_time() {
	local label=$1 tf="$CF_TMP/pt.$RANDOM" i n0 n1 t0 t1
	if ! "$2" >"$tf.setup" 2>&1; then
		echo "bench: $label set-up failed:" >&2
		tail -n 5 "$tf.setup" >&2
		printf '%s\tsetup-failed\n' "$label"
		return
	fi
	for i in 1 2 3; do
		n0=$(wc -l <"$PEBBLE_LOG")
		t0=$(date +%s%N)
		if ! /usr/bin/time -f '%M' -o "$tf.t" bash -c "$3 $i" >>"$tf.out" 2>&1; then
			echo "bench: $label run $i failed:" >&2
			tail -n 5 "$tf.out" >&2
			printf '%s\tfailed\n' "$label"
			return
		fi
		t1=$(date +%s%N)
		n1=$(wc -l <"$PEBBLE_LOG")
		# wall time in ms (time's %e has 10 ms steps), max RSS, requests
		printf '%s %s %s\n' "$(((t1 - t0) / 1000000))" "$(tail -n 1 "$tf.t")" \
			"$(sed -n "$((n0 + 1)),${n1}p" "$PEBBLE_LOG" |
			awk '$4 ~ /^(GET|HEAD|POST)$/ && $6 == "->" { n++ } END { print n + 0 }')" >>"$tf"
	done
	sort -n "$tf" | head -n 1 | awk -v l="$label" '{ print l "\t" $1 / 1000 "\t" $2 "\t" $3 }'
}

# The standalone clients bind $HTTP01_PORT themselves.
cfs="$side/cf"
cf_setup() { "$CF" --state-dir "$cfs" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" \
	account register --agree-tos; }
cf_one() { "$CF" --state-dir "$cfs" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA" \
	issue -d "cf$1.side.test" --http-port "$HTTP01_PORT" --http-address 127.0.0.1; }
# lego has no register-only command: its set-up is one whole run.
lego_setup() { lego_one 0; }
lego_one() { LEGO_CA_CERTIFICATES=$PEBBLE_CA lego --server "$PEBBLE_DIR_URL" \
	--accept-tos --email bench@side.test --eab --kid "$EAB_KID" --hmac "$EAB_HMAC" \
	--path "$side/lego" --http --http.port "127.0.0.1:$HTTP01_PORT" \
	-d "lego$1.side.test" run; }
certbot_cmd() { REQUESTS_CA_BUNDLE=$PEBBLE_CA certbot --non-interactive --agree-tos \
	-m bench@side.test --server "$PEBBLE_DIR_URL" --config-dir "$side/cb/c" \
	--work-dir "$side/cb/w" --logs-dir "$side/cb/l" "$@"; }
certbot_setup() { certbot_cmd register --eab-kid "$EAB_KID" --eab-hmac-key "$EAB_HMAC"; }
certbot_one() { certbot_cmd certonly --standalone --http-01-port "$HTTP01_PORT" \
	--http-01-address 127.0.0.1 -d "certbot$1.side.test"; }

# The webroot clients write the key authorization into $web, which one
# static file server (started in the set-up, not timed) serves on
# 127.0.0.1:$HTTP01_PORT, where Pebble's validation connects.
# uacme (libcurl-gnutls) has no option to trust another CA: it runs in a
# private mount namespace where /etc/ssl/certs/ca-certificates.crt is a copy
# of that bundle plus Pebble's CA (the system's file is not changed).
uacme_ns() {
	# shellcheck disable=SC2016 # $0 and $@ belong to the inner sh
	unshare -m sh -c 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec uacme "$@"' \
		"$side/uacme-bundle.pem" -a "$PEBBLE_DIR_URL" -c "$side/uacme" -t EC "$@"
}
uacme_setup() {
	cat /etc/ssl/certs/ca-certificates.crt "$PEBBLE_CA" >"$side/uacme-bundle.pem" || return 1
	# uacme's hook protocol: METHOD TYPE IDENT TOKEN AUTH; a non-zero exit
	# at "begin" declines that challenge (only http-01 is taken).
	# shellcheck disable=SC2016 # $1..$5 are the hook's own arguments
	printf '%s\n' '#!/bin/sh' "dir='$web/.well-known/acme-challenge'" \
		'[ "$2" = http-01 ] || exit 1' \
		'case $1 in begin) printf "%s" "$5" >"$dir/$4" ;; done|failed) rm -f "$dir/$4" ;; *) exit 1 ;; esac' \
		>"$side/uacme-hook.sh" && chmod 755 "$side/uacme-hook.sh" &&
		uacme_ns -y -e "$EAB_KID:$EAB_HMAC" new bench@side.test
}
uacme_one() { uacme_ns -o -h "$side/uacme-hook.sh" issue "uacme$1.side.test"; }
dehydrated_setup() {
	mkdir -p "$side/dehydrated" &&
		printf '%s\n' "CA='$PEBBLE_DIR_URL'" "CURL_OPTS='--cacert $PEBBLE_CA'" \
			"BASEDIR='$side/dehydrated'" "WELLKNOWN='$web/.well-known/acme-challenge'" \
			CHALLENGETYPE=http-01 KEY_ALGO=prime256v1 CONTACT_EMAIL=bench@side.test \
			"EAB_KID='$EAB_KID'" "EAB_HMAC_KEY='$EAB_HMAC'" >"$side/dehydrated/config" &&
		dehydrated -f "$side/dehydrated/config" --register --accept-terms
}
dehydrated_one() { dehydrated -f "$side/dehydrated/config" -c -d "dehydrated$1.side.test"; }
# acme-tiny takes an RSA account key and a CSR: the account key is set-up
# (with one whole run, which registers it); the certificate key and the CSR
# are made in each timed run, as the other clients make a key each time.
acmetiny_setup() {
	mkdir -p "$side/tiny" &&
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$side/tiny/account.key" && acmetiny_one 0
}
acmetiny_one() {
	local t="$side/tiny/$1"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t.key" &&
		openssl req -new -key "$t.key" -subj "/CN=tiny$1.side.test" \
			-addext "subjectAltName=DNS:tiny$1.side.test" -out "$t.csr" &&
		SSL_CERT_FILE=$PEBBLE_CA acme-tiny --account-key "$side/tiny/account.key" \
			--csr "$t.csr" --acme-dir "$web/.well-known/acme-challenge" \
			--disable-check --directory-url "$PEBBLE_DIR_URL" >"$t.crt" &&
		openssl x509 -in "$t.crt" -noout
}
export -f cf_one lego_one certbot_cmd certbot_one uacme_ns uacme_one dehydrated_one acmetiny_one
export CF cfs side web CF_TMP PEBBLE_DIR_URL CERTFERRY_EAB_KID CERTFERRY_EAB_HMAC_KEY PEBBLE_CA \
	HTTP01_PORT EAB_KID EAB_HMAC

# peer_row LABEL FUNC-PREFIX COMMAND: a table row for one peer.
peer_row() {
	if ! command -v "$3" >/dev/null 2>&1; then
		printf '%s\tnot-installed\n' "$1"
	else
		peer_time "$1" "${2}_setup" "${2}_one"
	fi
}
rows=()
rows+=("$(peer_time certferry cf_setup cf_one)")
rows+=("$(peer_row lego lego lego)")
rows+=("$(peer_row certbot certbot certbot)")
cf_spawn "$side/web.log" python3 -m http.server --bind 127.0.0.1 \
	--directory "$web" "$HTTP01_PORT"
webpid=$CF_LAST_PID
echo up >"$web/.well-known/acme-challenge/up"
cf_wait_for 10 "$webpid" curl -sf "http://127.0.0.1:$HTTP01_PORT/.well-known/acme-challenge/up" ||
	die "the webroot server (python3 -m http.server) did not start: $(tail -n 3 "$side/web.log")"
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	rows+=("$(printf 'uacme\tneeds-root')")
else
	rows+=("$(peer_row uacme uacme uacme)")
fi
rows+=("$(peer_row dehydrated dehydrated dehydrated)")
rows+=("$(peer_row acme-tiny acmetiny acme-tiny)")
cf_stop_pid "$webpid"

echo
echo "## Side by side: one certificate (1 name, ec256, http-01, account exists)"
echo
echo "Same Pebble, same machine, one after another; the fastest of 3 runs,"
echo "each for a new name.  Requests: Pebble's log lines of that run."
echo
echo "| client | wall time | max RSS | requests | time vs certferry |"
echo "| --- | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}" | awk -F'\t' '
	NR == 1 { base = $2 }
	$2 ~ /^[0-9.]+$/ { printf "| %s | %.3f s | %.1f MiB | %d | %.1fx |\n", $1, $2, $3 / 1024, $4, (base > 0 ? $2 / base : 0); next }
	{ printf "| %s | %s | | | |\n", $1, $2 }'
echo
printf '%s\n' "${rows[@]}" | awk -F'\t' '
	NR == 1 { base = $2 }
	NR > 1 && $2 ~ /^[0-9.]+$/ && (best == "" || $2 < best) { best = $2; who = $1 }
	END {
		if (base ~ /^[0-9.]+$/ && best > 0) printf "certferry / fastest peer (%s) = %.2f\n", who, base / best
		else print "certferry / fastest peer: no peer measured"
	}'
echo
echo "How each runs: certferry, lego and certbot answer http-01 themselves"
echo "(standalone); uacme, dehydrated and acme-tiny write into a webroot"
echo "that one static file server (python3 -m http.server, started before"
echo "their runs, not timed) serves.  Every client registers its account"
echo "with EAB in its set-up (lego and acme-tiny: one whole untimed run), except"
echo "acme-tiny, which has no EAB (this Pebble does not require it), and which"
echo "posts newAccount again in each run.  uacme runs in a private mount"
echo "namespace whose system CA bundle also holds Pebble's CA (it cannot be"
echo "told another; the namespace start is in its time).  acme-tiny's runs"
echo "include making its certificate key and CSR (openssl), as the others"
echo "make a key each time."
fi # peers
