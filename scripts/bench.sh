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
