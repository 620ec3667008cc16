#!/usr/bin/env bash
# Kernels without Landlock or without seccomp filters (issue 10): the run
# goes on, and says so in one line each (docs/ARCHITECTURE.md
# "Processes").  tests/tools/nosandbox makes the kernel look that way to
# certferry and everything it starts: landlock_create_ruleset fails with
# ENOSYS, prctl(PR_GET_SECCOMP) with EINVAL, as on such kernels.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
NOSB="$BUILD/tools/nosandbox"
if [ ! -x "$NOSB" ]; then
	t_skip "$T_SCRIPT" "$NOSB is not built (make build-tests)"
	t_done
fi
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC

# run LABEL NOSANDBOX-OPTIONS...: issue one certificate under nosandbox.
run() {
	local label=$1
	shift
	t_check "$label: the certificate is issued" "$NOSB" "$@" \
		"$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
		--ca-bundle "$PEBBLE_CA" issue -d "$label.nosandbox.example.test" \
		--name "$label" --agree-tos --http-port "$HTTP01_PORT" \
		--http-address 127.0.0.1
	cp "$T_ERR" "$CF_TMP/$label.stderr"
	[ "$T_RC" -eq 0 ] && check_issued "$label" "$label" \
		"$label.nosandbox.example.test"
}

# notice LABEL TEXT N: TEXT is said exactly N times on stderr.
notice() {
	local label=$1 text=$2 want=$3 got
	got=$(grep -c -- "$text" "$CF_TMP/$label.stderr")
	if [ "$got" -eq "$want" ]; then
		t_pass "$label: '$text' said $want time(s)"
	else
		t_fail "$label: '$text' said $want time(s)" "said $got times: $(head -c 600 "$CF_TMP/$label.stderr")"
	fi
}

run nolandlock --no-landlock
notice nolandlock "this kernel has no Landlock" 1
notice nolandlock "no seccomp filters" 0
run noseccomp --no-seccomp
notice noseccomp "this kernel has no seccomp filters" 1
notice noseccomp "no Landlock" 0
run neither --no-landlock --no-seccomp
notice neither "this kernel has no Landlock" 1
notice neither "this kernel has no seccomp filters" 1
# The check sees a notice when there is one: none on this kernel.
run both
notice both "notice:" 0
t_done
