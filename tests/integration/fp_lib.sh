# shellcheck shell=bash
# Sourced by the renewal tests that need tests/tools/faultproxy in front of
# Pebble (after lib.sh and t_pebble_start).  Thin wrappers over lib.sh's
# faultproxy_start.
#
#   fp_start RULES_FILE [faultproxy options...]
#       start faultproxy on a free 127.0.0.1 port (TLS with the test CA);
#       sets FP_DIR_URL (the directory through the proxy), FP_LOG, FP_PID
#   fp_run ARGS...   certferry against the proxy (like cf_run)

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
