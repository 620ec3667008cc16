# shellcheck shell=bash
# Sourced by the renewal tests that need tests/tools/faultproxy in front of
# Pebble (after lib.sh and t_pebble_start).  Thin wrappers over lib.sh's
# faultproxy_start.
#
#   fp_start RULES_FILE [faultproxy options...]
#       start faultproxy on a free 127.0.0.1 port (TLS with the test CA);
#       sets FP_DIR_URL (the directory through the proxy), FP_LOG, FP_PID
#   fp_run ARGS...   certferry against the proxy (like cf_run)
#   fp_check_429_held LOG   one result: the first 429 to a newOrder in LOG
#       (a slice of FP_LOG) held every job of the CA: no request from 1 s
#       after it (those in flight are read by then) to 4 s (the rules'
#       Retry-After is 5 s: generous margins)

fp_start() {
	local rules=$1 port
	shift
	port=$(cf_freeports 1) || return 1
	faultproxy_start "renew-$port" "$port" --rules "$rules" "$@" || return 1
	FP_DIR_URL="$FP_URL/dir"
	export FP_DIR_URL
}

fp_run() {
	"$CF" --state-dir "$STATE" --server "$FP_DIR_URL" --ca-bundle "$PEBBLE_CA" "$@"
}

fp_check_429_held() {
	local log=$1 t429 inside
	t429=$(awk '$2 == "POST" && $3 == "/order-plz" && $4 == 429 { print $1; exit }' "$log")
	if [ -z "$t429" ]; then
		t_fail "the rate limit was met" "no 429 in the proxy log"
		return
	fi
	inside=$(awk -v t="$t429" '$1 > t + 1000 && $1 < t + 4000' "$log" | wc -l)
	if [ "$inside" = 0 ]; then
		t_pass "one 429 held every job of the CA"
	else
		t_fail "one 429 held every job of the CA" "$inside requests during the CA's Retry-After"
		sed 's/^/#   /' "$log"
	fi
}
