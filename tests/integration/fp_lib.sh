# shellcheck shell=bash
# Sourced by the renewal tests that need tests/tools/faultproxy in front of
# Pebble (after lib.sh and t_pebble_start).
#
#   fp_start RULES_FILE [faultproxy options...]
#       start faultproxy on a free 127.0.0.1 port (TLS with the test CA);
#       sets FP_DIR_URL (the directory through the proxy), FP_LOG, FP_PID
#   fp_run ARGS...   certferry against the proxy (like cf_run)

fp_start() {
	local rules=$1 port
	shift
	port=$(cf_freeports 1) || return 1
	FP_LOG="$CF_TMP/faultproxy.$port.log"
	cf_spawn "$CF_TMP/faultproxy.$port.out" "$BUILD/tools/faultproxy" \
		--listen "127.0.0.1:$port" --cert "$CF_TMP/ca/server.pem" \
		--key "$CF_TMP/ca/server.key" \
		--upstream "https://127.0.0.1:$PEBBLE_PORT" --upstream-ca "$PEBBLE_CA" \
		--rules "$rules" --log "$FP_LOG" "$@"
	FP_PID=$CF_LAST_PID
	FP_DIR_URL="https://127.0.0.1:$port/dir"
	if ! cf_wait_for 10 "$FP_PID" curl -sf --cacert "$PEBBLE_CA" "$FP_DIR_URL"; then
		echo "error: faultproxy did not start" >&2
		tail -n 20 "$CF_TMP/faultproxy.$port.out" >&2
		return 1
	fi
	export FP_DIR_URL FP_LOG FP_PID
}

fp_run() {
	"$CF" --state-dir "$STATE" --server "$FP_DIR_URL" --ca-bundle "$PEBBLE_CA" "$@"
}
