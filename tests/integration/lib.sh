# shellcheck shell=bash
# Sourced by every tests/integration/t_*.sh.  Builds on scripts/pebble.sh
# (temp dir, PID-tracked processes, cleanup trap, Pebble) and adds:
#
# Test scripts use `set -uo pipefail` (not -e): a failed check is reported
# and the script goes on; t_done at the end sets the exit status.
#
# Result lines (tests/run.sh counts them):
#   t_pass NAME                 ok - NAME
#   t_fail NAME [WHY]           not ok - NAME: WHY
#   t_skip NAME REASON          skip - NAME: REASON
#   t_check NAME CMD...         pass if CMD succeeds; else fail, showing its output tail
#   t_expect_fail NAME CMD...   pass if CMD fails;    else fail, showing its output tail
#   t_expect_rc NAME RC CMD...  pass if CMD exits with exactly status RC
#                               (docs/certferry.1: 0 ok, 1 failure, 2 bad
#                               input, 3 pending, 4 locked); else fail,
#                               showing its output tail
#   t_rc_is NAME WANT GOT       pass if the status GOT is WANT
#   t_run CMD...                run CMD, never fails; sets T_RC, T_OUT, T_ERR (files)
#   t_done                      exit status for the end of a script: 1 if any t_fail
#   skip_unless_cmd CMD...      skip the whole script when a program is missing
#                               (exits 0 unless a check already failed)
#   require_cf                  fail the whole script when $CF is not built
#   t_pebble_start [ENV=VAL]..  pebble_start, or fail the whole script
#   t_pebble_start_eab [ENV=VAL]..  t_pebble_start, then certferry reads
#                               the EAB credentials from its environment
#                               (CERTFERRY_EAB_KID, CERTFERRY_EAB_HMAC_KEY)
#                               and H holds the standalone http-01
#                               responder's options (Pebble's HTTP01_PORT)
#
# certferry:
#   CF                          absolute path of $BUILD/certferry
#   STATE                       a fresh state dir path ($CF_TMP/state; not created)
#   cf_run ARGS...              $CF --state-dir $STATE --server $PEBBLE_DIR_URL
#                               --ca-bundle $PEBBLE_CA ARGS...
#   cf_certdir NAME             $STATE/certs/NAME
#   cf_account_dirs             the account folders in $STATE/accounts (one a line)
#
# Checks on issued files:
#   cert_sans FILE              the SAN DNS names of a cert, sorted, one a line
#   cert_key_matches CERT KEY   the key's public key equals the cert's
#   key_type_of KEYFILE         ec256 / ec384 / rsa2048 / ... of a private key
#   file_mode FILE              octal mode, e.g. 600
#   check_issued LABEL CERTNAME NAME...   t_* checks on $STATE/certs/CERTNAME:
#                               files present, privkey 0600, chains to Pebble's
#                               root, SANs exactly NAME..., key matches cert,
#                               fullchain starts with cert
#
# nginx:
#   nginx_start WEBROOT PORT [EXTRA]  real nginx serving WEBROOT on
#                               127.0.0.1:PORT (WEBROOT may use nginx
#                               variables, e.g. .../$host); EXTRA: more
#                               directives of the server block (sets
#                               NGINX_PID, NGINX_DIR)
#
# IIS on the shared 40-site farm (../shared/fixtures/iis):
#   iis_farm_setup LABEL        skip the script (as LABEL) when the farm file
#                               is missing; else sets FARM, CONF (a copy to
#                               edit), CCS (an empty folder), PW (a PFX
#                               password file, 0600)
#   iis_issue ARGS...           cf_run issue through the standalone http-01
#                               responder, with EAB, for $CONF into $CCS
#
# fault-injecting stand-in (docs/TESTING-PROXY.md):
#   faultproxy_start NAME PORT [ARGS...]   tests/tools/faultproxy in front of
#                               the running Pebble on 127.0.0.1:PORT, log in
#                               $CF_TMP/fp/NAME.log; sets FP_PID, FP_URL
#                               (https://127.0.0.1:PORT), FP_LOG

# shellcheck source=scripts/pebble.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/pebble.sh"

CF="$BUILD/certferry"
STATE="$CF_TMP/state"
T_SCRIPT=$(basename "$0" .sh)
# Tests set what certferry sees; nothing comes from the caller's environment.
unset CERTFERRY_STATE_DIR CERTFERRY_SERVER CERTFERRY_CA_BUNDLE \
	CERTFERRY_EAB_KID CERTFERRY_EAB_HMAC_KEY CERTFERRY_CA CERTFERRY_ACCOUNT
# ... nor from the machine's settings file (/etc/certferry/certferry.conf
# as root): an empty one, unless a test names its own.
export CERTFERRY_CONFIG=/dev/null
T_FAILED=0
T_RC=0
T_OUT="$CF_TMP/t_out"
T_ERR="$CF_TMP/t_err"
export CF STATE

t_pass() {
	echo "ok - $1"
}

t_fail() {
	T_FAILED=$((T_FAILED + 1))
	echo "not ok - $1: ${2:-failed}"
}

t_skip() {
	echo "skip - $1: $2"
}

# Shows the last lines of a file, indented as diagnostics.
t_tail() {
	if [ -s "$1" ]; then
		tail -n "${2:-15}" "$1" | sed 's/^/#   /'
	fi
}

t_run() {
	if "$@" >"$T_OUT" 2>"$T_ERR"; then
		T_RC=0
	else
		T_RC=$?
	fi
	return 0
}

t_show_output() {
	echo "#   command: $*"
	echo "#   exit status: $T_RC"
	if [ -s "$T_OUT" ]; then
		echo "#   stdout:"
		t_tail "$T_OUT"
	fi
	if [ -s "$T_ERR" ]; then
		echo "#   stderr:"
		t_tail "$T_ERR"
	fi
}

t_check() {
	local name=$1
	shift
	t_run "$@"
	if [ "$T_RC" -eq 0 ]; then
		t_pass "$name"
		return 0
	fi
	t_fail "$name" "command failed with status $T_RC"
	t_show_output "$@"
	return 1
}

t_expect_fail() {
	local name=$1
	shift
	t_run "$@"
	if [ "$T_RC" -ne 0 ]; then
		t_pass "$name"
		echo "#   exit status $T_RC (t_expect_rc asserts the exact one)"
		return 0
	fi
	t_fail "$name" "command succeeded but should have failed"
	t_show_output "$@"
	return 1
}

t_expect_rc() {
	local name=$1 want=$2
	shift 2
	t_run "$@"
	if [ "$T_RC" -eq "$want" ]; then
		t_pass "$name"
		return 0
	fi
	t_fail "$name" "exit status $T_RC, want $want"
	t_show_output "$@"
	return 1
}

t_rc_is() {
	if [ "$3" -eq "$2" ]; then
		t_pass "$1"
		return 0
	fi
	t_fail "$1" "exit status $3, want $2"
	return 1
}

t_done() {
	if [ "$T_FAILED" -gt 0 ]; then
		exit 1
	fi
	exit 0
}

skip_unless_cmd() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			t_skip "$T_SCRIPT" "needs '$c', which is not installed (scripts/install-deps.sh)"
			t_done
		fi
	done
}

require_cf() {
	if [ ! -x "$CF" ]; then
		t_fail "$T_SCRIPT" "certferry binary not built: $CF"
		exit 1
	fi
}

# shellcheck disable=SC2120 # arguments are optional
t_pebble_start() {
	if ! pebble_start "$@" >"$CF_TMP/pebble_start.err" 2>&1; then
		t_fail "$T_SCRIPT: pebble start" "Pebble did not start"
		t_tail "$CF_TMP/pebble_start.err" 30
		exit 1
	fi
}

t_pebble_start_eab() {
	t_pebble_start "$@"
	export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
	H=(--http-port "$HTTP01_PORT" --http-address 127.0.0.1)
}

cf_run() {
	"$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
		--ca-bundle "$PEBBLE_CA" "$@"
}

cf_certdir() {
	echo "$STATE/certs/$1"
}

cf_account_dirs() {
	if [ -d "$STATE/accounts" ]; then
		find "$STATE/accounts" -mindepth 1 -maxdepth 1 -type d | sort
	fi
}

file_mode() {
	stat -L -c %a "$1"
}

cert_sans() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
		tr ',' '\n' | sed -n 's/^ *DNS://p' | sort
}

cert_key_matches() {
	local a b
	a=$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null) || return 1
	b=$(openssl pkey -in "$2" -pubout 2>/dev/null) || return 1
	[ -n "$a" ] && [ "$a" = "$b" ]
}

key_type_of() {
	local text bits
	text=$(openssl pkey -in "$1" -noout -text 2>/dev/null) || return 1
	bits=$(sed -n '1s/^Private-Key: (\([0-9]*\) bit.*/\1/p' <<<"$text")
	if grep -q 'ASN1 OID' <<<"$text"; then
		echo "ec$bits"
	elif grep -q '^modulus:' <<<"$text"; then
		echo "rsa$bits"
	else
		echo "unknown"
	fi
}

# DER fingerprint of the first certificate in a PEM file.
cert_fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 2>/dev/null
}

check_issued() {
	local label=$1 certname=$2 d f root want got
	shift 2
	d=$(cf_certdir "$certname")
	for f in privkey.pem cert.pem chain.pem fullchain.pem; do
		if [ ! -s "$d/$f" ]; then
			t_fail "$label: files" "$d/$f missing or empty"
			find "$STATE/certs" -printf '%M %p\n' 2>&1 | sed 's/^/#   /'
			return 1
		fi
	done
	t_pass "$label: files"
	if [ "$(file_mode "$d/privkey.pem")" = 600 ]; then
		t_pass "$label: privkey.pem mode 0600"
	else
		t_fail "$label: privkey.pem mode 0600" "mode is $(file_mode "$d/privkey.pem")"
	fi
	root="$CF_TMP/pebble-root.$CF_PEBBLE_SEQ.pem"
	if [ ! -s "$root" ]; then
		pebble_root_pem "$root" || t_fail "$label: fetch Pebble root"
	fi
	t_check "$label: cert chains to Pebble's root" \
		openssl verify -CAfile "$root" -untrusted "$d/chain.pem" "$d/cert.pem"
	want=$(printf '%s\n' "$@" | sort)
	got=$(cert_sans "$d/cert.pem")
	if [ "$want" = "$got" ]; then
		t_pass "$label: SANs are the requested names"
	else
		t_fail "$label: SANs are the requested names" \
			"want [$(tr '\n' ' ' <<<"$want")] got [$(tr '\n' ' ' <<<"$got")]"
	fi
	if cert_key_matches "$d/cert.pem" "$d/privkey.pem"; then
		t_pass "$label: privkey.pem matches cert.pem"
	else
		t_fail "$label: privkey.pem matches cert.pem"
	fi
	if [ "$(cert_fingerprint "$d/fullchain.pem")" = "$(cert_fingerprint "$d/cert.pem")" ] &&
		[ "$(grep -c 'BEGIN CERTIFICATE' "$d/fullchain.pem")" -ge 2 ]; then
		t_pass "$label: fullchain.pem is cert + chain"
	else
		t_fail "$label: fullchain.pem is cert + chain"
	fi
}

nginx_start() {
	local webroot=$1 port=$2 extra=${3:-} d
	skip_unless_cmd nginx
	d=$(mktemp -d "$CF_TMP/nginx.XXXXXX")
	mkdir -p "$d/tmp"
	# The workers run as root only when the master does (tests run as root
	# in CI); the temp dir is 0700, so another user could not read it.
	cat >"$d/nginx.conf" <<EOF
user root root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$port;
		server_name _;
		root $webroot;
		$extra
		location / { try_files \$uri =404; }
	}
}
EOF
	cf_spawn "$d/stdout.log" nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" \
		-g "daemon off;"
	NGINX_PID=$CF_LAST_PID
	NGINX_DIR=$d
	export NGINX_PID NGINX_DIR
	if ! cf_wait_for 10 "$NGINX_PID" curl -s -o /dev/null "http://127.0.0.1:$port/"; then
		echo "error: nginx did not start on 127.0.0.1:$port; its log:" >&2
		t_tail "$d/error.log" >&2
		t_tail "$d/stdout.log" >&2
		return 1
	fi
}

faultproxy_start() {
	local name=$1 port=$2 d="$CF_TMP/fp"
	shift 2
	mkdir -p "$d"
	FP_LOG="$d/$name.log"
	FP_URL="https://127.0.0.1:$port"
	cf_spawn "$d/$name.stderr" "$BUILD/tools/faultproxy" \
		--listen "127.0.0.1:$port" \
		--cert "$CF_TMP/ca/server.pem" --key "$CF_TMP/ca/server.key" \
		--upstream "https://127.0.0.1:$PEBBLE_PORT" --upstream-ca "$PEBBLE_CA" \
		--log "$FP_LOG" "$@"
	FP_PID=$CF_LAST_PID
	if ! cf_wait_for 10 "$FP_PID" curl -s -o /dev/null --cacert "$PEBBLE_CA" \
		"$FP_URL/faultproxy-ready"; then
		echo "error: faultproxy $name did not answer on $FP_URL; its stderr:" >&2
		tail -n 10 "$d/$name.stderr" >&2
		return 1
	fi
	export FP_PID FP_URL FP_LOG
}

iis_farm_setup() {
	FARM="$CF_ROOT/../shared/fixtures/iis/applicationHost-farm.config"
	if [ ! -f "$FARM" ]; then
		t_skip "$1" "shared fixture $FARM not found"
		exit 0
	fi
	CONF="$CF_TMP/applicationHost.config"
	cp "$FARM" "$CONF"
	CCS="$CF_TMP/ccs"
	mkdir -p "$CCS"
	PW="$CF_TMP/pfx-password"
	printf 'Ccs-Pass-%s\n' "$RANDOM$RANDOM" >"$PW"
	chmod 600 "$PW"
}

iis_issue() {
	cf_run issue --http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
		--agree-tos --eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE" \
		--iis-config "$CONF" --ccs-dir "$CCS" --pfx-password-file "$PW" "$@"
}
