# shellcheck shell=bash
# Local test environment: temp dir, processes started by PID, a throwaway CA,
# Pebble + pebble-challtestsrv.  Sourced (never run) by tests/integration/lib.sh,
# scripts/demo.sh and scripts/bench.sh, so there is one Pebble start-up code.
#
# Everything listens on 127.0.0.1 only, on ports from $BUILD/tools/freeport.
# On exit, a trap stops ONLY the processes started through cf_spawn (by PID)
# and removes the temp dir (kept when CF_KEEP_TMP=1).
#
# API:
#   CF_ROOT            repo root (absolute)
#   BUILD              build dir, made absolute (default $CF_ROOT/build)
#   CF_TMP             this script's temp dir (mktemp -d)
#   cf_spawn LOG CMD.. start CMD in the background, output to LOG, remember its
#                      PID in CF_PIDS; sets CF_LAST_PID
#   cf_stop_pid PID    stop one process we started (TERM, then KILL after 5 s)
#   cf_at_exit CMD     run CMD (one string, eval'd) at exit, before the kills
#   cf_freeports N     print N free 127.0.0.1 TCP ports (one per line)
#   cf_make_ca DIR     throwaway EC P-256 root + server cert for 127.0.0.1 and
#                      localhost: DIR/ca.pem ca.key server.pem server.key
#   pebble_start [ENV=VAL...]  start challtestsrv + Pebble (see below); ENV=VAL
#                      go to Pebble's environment, e.g.
#                      PEBBLE_ALTERNATE_ROOTS=1 PEBBLE_CHAIN_LENGTH=3 (two
#                      roots, so every certificate has an alternate chain:
#                      pebble_root_pem FILE N gives root N)
#   pebble_stop        stop both (a later pebble_start starts fresh ones)
#   pebble_count_requests PATH_REGEX   number of requests Pebble logged whose
#                      path starts with PATH_REGEX (e.g. /sign-me-up)
#   pebble_root_pem FILE [N]       Pebble's issuing root (management /roots/N,
#                                  default 0)
#   pebble_intermediate_pem FILE   its intermediate (/intermediates/0)
#   challtest_add_a NAME IP        make challtestsrv answer A queries for NAME
#
# pebble_start exports:
#   PEBBLE_DIR_URL PEBBLE_CA PEBBLE_MGMT_URL PEBBLE_PORT PEBBLE_LOG PEBBLE_PID
#   EAB_KID EAB_HMAC EAB_HMAC_FILE (kid-1) EAB_KID2 EAB_HMAC2 EAB_HMAC2_FILE (kid-2)
#   HTTP01_PORT TLSALPN_PORT PEBBLE_DNS CHALLTEST_MGMT_URL CHALLTEST_LOG
#   (set CF_PEBBLE_DNSSERVER=HOST:PORT first to make Pebble validate dns-01
#   against that server instead of challtestsrv)
#   External account binding is required unless CF_PEBBLE_EAB_REQUIRED=0 is
#   set first (then EAB is optional: the kid-1/kid-2 keys still work; for
#   clients without EAB, e.g. acme-tiny in scripts/bench.sh)

if [ -n "${CF_PEBBLE_SH_LOADED:-}" ]; then
	return 0
fi
CF_PEBBLE_SH_LOADED=1

CF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in
/*) ;;
*) BUILD="$CF_ROOT/$BUILD" ;;
esac
export BUILD

CF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/certferry-test.XXXXXX")
CF_PIDS=()
CF_EXIT_HOOKS=()
CF_LAST_PID=
CF_PEBBLE_SEQ=0

# Writes a diagnostic line to stderr.
cf_note() {
	echo "# $*" >&2
}

cf_at_exit() {
	CF_EXIT_HOOKS+=("$1")
}

cf_spawn() {
	local log=$1
	shift
	"$@" </dev/null >"$log" 2>&1 &
	CF_LAST_PID=$!
	CF_PIDS+=("$CF_LAST_PID")
}

# Stops a PID that this script started: TERM, wait up to 5 s, then KILL.
# PIDs not in CF_PIDS are refused, so nothing else is ever signalled.
cf_stop_pid() {
	local pid=$1 known=0 p i
	local keep=()
	for p in "${CF_PIDS[@]}"; do
		if [ "$p" = "$pid" ]; then
			known=1
		else
			keep+=("$p")
		fi
	done
	if [ "$known" -ne 1 ]; then
		cf_note "cf_stop_pid: $pid was not started here; not touching it"
		return 1
	fi
	CF_PIDS=("${keep[@]}")
	if kill -TERM "$pid" 2>/dev/null; then
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

cf_cleanup() {
	local rc=$? h i
	trap - EXIT INT TERM HUP
	for h in "${CF_EXIT_HOOKS[@]}"; do
		eval "$h" || true
	done
	# Newest first: nginx/pebble before the DNS server they use.
	for ((i = ${#CF_PIDS[@]} - 1; i >= 0; i--)); do
		cf_stop_pid "${CF_PIDS[i]}" || true
	done
	if [ "${CF_KEEP_TMP:-0}" = 1 ]; then
		cf_note "kept temp dir $CF_TMP"
	else
		rm -rf "$CF_TMP"
	fi
	exit "$rc"
}
trap cf_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

cf_freeports() {
	local tool="$BUILD/tools/freeport"
	if [ ! -x "$tool" ]; then
		echo "error: $tool is not built (make $tool)" >&2
		return 1
	fi
	"$tool" "$1"
}

cf_make_ca() {
	local d=$1
	mkdir -p "$d"
	(
		set -e
		cd "$d"
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out ca.key 2>/dev/null
		openssl req -x509 -new -key ca.key -days 2 -sha256 \
			-subj "/CN=certferry throwaway test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" \
			-out ca.pem 2>/dev/null
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out server.key 2>/dev/null
		openssl req -new -key server.key -subj "/CN=localhost" \
			-out server.csr 2>/dev/null
		printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
			"basicConstraints=critical,CA:FALSE" \
			"keyUsage=critical,digitalSignature" \
			"extendedKeyUsage=serverAuth" >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -days 2 -sha256 -extfile server.ext \
			-out server.pem 2>/dev/null
		chmod 600 ca.key server.key
	) || {
		echo "error: cannot create the throwaway CA in $d" >&2
		return 1
	}
}

# base64url (no padding) of 32 random bytes: the form Pebble expects for
# externalAccountMACKeys and ACME clients take as the EAB HMAC key.
cf_random_b64url() {
	openssl rand 32 | basenc --base64url | tr -d '=\n'
}

# Polls CMD... every 0.1 s until it succeeds, up to SECS seconds, as long as
# PID lives.  Returns 0 when CMD succeeded, 1 otherwise.
cf_wait_for() {
	local secs=$1 pid=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

pebble_start() {
	local d ports port mgmt dns cmgmt http01 tlsalpn kv eabreq=true
	local envs=(PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0)
	for kv in "$@"; do
		case "$kv" in
		*=*) envs+=("$kv") ;;
		*)
			echo "error: pebble_start: expected ENV=VAL, got '$kv'" >&2
			return 1
			;;
		esac
	done
	for cmd in pebble pebble-challtestsrv openssl curl; do
		if ! command -v "$cmd" >/dev/null 2>&1; then
			echo "error: $cmd not found (run scripts/install-deps.sh)" >&2
			return 1
		fi
	done

	if [ ! -f "$CF_TMP/ca/ca.pem" ]; then
		cf_make_ca "$CF_TMP/ca" || return 1
	fi
	CF_PEBBLE_SEQ=$((CF_PEBBLE_SEQ + 1))
	d="$CF_TMP/pebble.$CF_PEBBLE_SEQ"
	mkdir -p "$d"

	ports=$(cf_freeports 6) || return 1
	{ read -r port; read -r mgmt; read -r dns; read -r cmgmt; read -r http01; read -r tlsalpn; } <<<"$ports"

	EAB_KID=kid-1
	EAB_HMAC=$(cf_random_b64url)
	EAB_KID2=kid-2
	EAB_HMAC2=$(cf_random_b64url)
	EAB_HMAC_FILE="$d/eab-kid-1.key"
	EAB_HMAC2_FILE="$d/eab-kid-2.key"
	(umask 077 && printf '%s\n' "$EAB_HMAC" >"$EAB_HMAC_FILE" &&
		printf '%s\n' "$EAB_HMAC2" >"$EAB_HMAC2_FILE")

	if [ "${CF_PEBBLE_EAB_REQUIRED:-1}" = 0 ]; then eabreq=false; fi
	jq -n --arg listen "127.0.0.1:$port" --arg mgmt "127.0.0.1:$mgmt" \
		--arg cert "$CF_TMP/ca/server.pem" --arg key "$CF_TMP/ca/server.key" \
		--argjson http "$http01" --argjson tls "$tlsalpn" \
		--arg k1 "$EAB_HMAC" --arg k2 "$EAB_HMAC2" --argjson eabreq "$eabreq" '
		{pebble: {listenAddress: $listen, managementListenAddress: $mgmt,
		  certificate: $cert, privateKey: $key,
		  httpPort: $http, tlsPort: $tls, ocspResponderURL: "",
		  externalAccountBindingRequired: $eabreq,
		  externalAccountMACKeys: {"kid-1": $k1, "kid-2": $k2}}}' \
		>"$d/pebble-config.json" || return 1
	chmod 600 "$d/pebble-config.json"

	CHALLTEST_LOG="$d/challtestsrv.log"
	cf_spawn "$CHALLTEST_LOG" pebble-challtestsrv \
		-dns01 "127.0.0.1:$dns" -http01 "" -https01 "" -tlsalpn01 "" \
		-management "127.0.0.1:$cmgmt" -defaultIPv6 ""
	CF_CHALLTEST_PID=$CF_LAST_PID
	if ! cf_wait_for 10 "$CF_CHALLTEST_PID" \
		curl -s -o /dev/null "http://127.0.0.1:$cmgmt/"; then
		echo "error: pebble-challtestsrv did not start; its log:" >&2
		tail -n 20 "$CHALLTEST_LOG" >&2
		return 1
	fi

	PEBBLE_LOG="$d/pebble.log"
	# CF_PEBBLE_DNSSERVER (HOST:PORT) points Pebble's validation at another
	# DNS server, e.g. the Knot server of the dns-01 tests.
	cf_spawn "$PEBBLE_LOG" env "${envs[@]}" pebble \
		-config "$d/pebble-config.json" \
		-dnsserver "${CF_PEBBLE_DNSSERVER:-127.0.0.1:$dns}"
	PEBBLE_PID=$CF_LAST_PID
	PEBBLE_CA="$CF_TMP/ca/ca.pem"
	PEBBLE_PORT=$port
	PEBBLE_DIR_URL="https://127.0.0.1:$port/dir"
	PEBBLE_MGMT_URL="https://127.0.0.1:$mgmt"
	if ! cf_wait_for 30 "$PEBBLE_PID" \
		curl -sf --cacert "$PEBBLE_CA" "$PEBBLE_DIR_URL"; then
		echo "error: Pebble did not answer $PEBBLE_DIR_URL; its log:" >&2
		tail -n 20 "$PEBBLE_LOG" >&2
		return 1
	fi

	HTTP01_PORT=$http01
	TLSALPN_PORT=$tlsalpn
	PEBBLE_DNS="127.0.0.1:$dns"
	CHALLTEST_MGMT_URL="http://127.0.0.1:$cmgmt"
	export PEBBLE_DIR_URL PEBBLE_CA PEBBLE_MGMT_URL PEBBLE_PORT PEBBLE_LOG \
		PEBBLE_PID EAB_KID EAB_HMAC EAB_HMAC_FILE EAB_KID2 EAB_HMAC2 \
		EAB_HMAC2_FILE HTTP01_PORT TLSALPN_PORT PEBBLE_DNS \
		CHALLTEST_MGMT_URL CHALLTEST_LOG
}

pebble_stop() {
	if [ -n "${PEBBLE_PID:-}" ]; then
		cf_stop_pid "$PEBBLE_PID" || true
	fi
	if [ -n "${CF_CHALLTEST_PID:-}" ]; then
		cf_stop_pid "$CF_CHALLTEST_PID" || true
	fi
	PEBBLE_PID=
	CF_CHALLTEST_PID=
}

# Pebble logs one line per ACME request it routes, e.g.
#   Pebble 2026/11/29 01:07:58 POST /sign-me-up -> calling handler()
# Paths: /dir /nonce-plz /sign-me-up (newAccount) /order-plz (newOrder)
# /authZ/ /chalZ/ /finalize-order/ /my-order/ /certZ/ /my-account/
# /rollover-account-key /revoke-cert.  Prints the count (0 when none).
pebble_count_requests() {
	local re=$1 n
	n=$(grep -cE "^Pebble [0-9/]+ [0-9:]+ (GET|HEAD|POST) ${re}[^ ]* -> calling handler" \
		"${PEBBLE_LOG:?pebble_start first}" || true)
	echo "${n:-0}"
}

pebble_root_pem() {
	curl -sSf --cacert "$PEBBLE_CA" -o "$1" "$PEBBLE_MGMT_URL/roots/${2:-0}"
}

pebble_intermediate_pem() {
	curl -sSf --cacert "$PEBBLE_CA" -o "$1" "$PEBBLE_MGMT_URL/intermediates/0"
}

challtest_add_a() {
	jq -nc --arg h "$1" --arg ip "$2" '{host: $h, addresses: [$ip]}' |
		curl -sSf -o /dev/null -d @- "$CHALLTEST_MGMT_URL/add-a"
}
