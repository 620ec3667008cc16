#!/usr/bin/env bash
# Privilege separation (issue 10; docs/ARCHITECTURE.md "Processes"), seen
# from outside while a run waits on a slow CA (hostileca slow-authz): the
# process that holds the TCP connection to the CA is a child of certferry,
# not certferry (which holds the account and certificate keys); it shows
# Seccomp: 2 and NoNewPrivs: 1 in /proc/PID/status, has no file of the
# state folder open or mapped (no key), and no descriptor open for writing
# but sockets and /dev/null.  The same run with CERTFERRY_NO_PRIVSEP=1
# (debugging only) holds the connection in certferry itself, which shows
# that the check sees what it claims to.  Landlock is unit-tested
# (tests/unit/test_sep.c): /proc does not show it.
set -uo pipefail
# The account key is held by a third process, the key process (sep/
# keyproc.h): its private scalar is found in that process's memory and
# in no other (tests/tools/memscan.py reads /proc/PID/mem as root); without
# separation it is in certferry's, which shows the scan sees it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
MEMSCAN="$(dirname "$0")/../tools/memscan.py"
HCA="$BUILD/tools/hostileca"
if [ ! -x "$HCA" ]; then
	t_skip "$T_SCRIPT" "$HCA is not built (make build-tests)"
	t_done
fi
if [ "$(id -u)" -ne 0 ]; then
	# certferry is not dumpable: only root reads its /proc/PID/fd.
	t_skip "$T_SCRIPT" "needs root to read /proc/PID/fd of a non-dumpable process"
	t_done
fi
skip_unless_cmd pgrep
N=mine.example
HOOK="$CF_TMP/hook.sh"
printf '#!/bin/sh\nexit 0\n' >"$HOOK"
chmod +x "$HOOK"

ports=$(cf_freeports 2) || { t_fail "$T_SCRIPT" "no free ports"; t_done; }
P1=$(echo "$ports" | sed -n 1p)
P2=$(echo "$ports" | sed -n 2p)
HCA_CA="$CF_TMP/hca-ca.pem"
cf_spawn "$CF_TMP/hca.stderr" "$HCA" --listen "127.0.0.1:$P1" \
	--alt-listen "127.0.0.1:$P2" --ca-out "$HCA_CA" --scenario slow-authz \
	--slow-ms 15000 --log "$CF_TMP/hca.log"
for ((i = 0; i < 100; i++)); do
	[ -s "$HCA_CA" ] && break
	sleep 0.1
done
if [ ! -s "$HCA_CA" ]; then
	t_fail "$T_SCRIPT: hostileca start" "$(tail -n 5 "$CF_TMP/hca.stderr")"
	t_done
fi

# socket_pids TOP PORT COLUMN STATE: the PIDs among TOP and its children
# that hold a TCP socket whose address in /proc/net/tcp column COLUMN
# (2 local, 3 remote) has port PORT, in state STATE (01 established,
# 0A listen).
socket_pids() {
	local top=$1 hex inodes pid fd link ino
	hex=$(printf '%04X' "$2")
	inodes=$(awk -v p=":$hex" -v c="$3" -v st="$4" \
		'$c ~ p"$" && $4 == st { print $10 }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null)
	[ -n "$inodes" ] || return 0
	for pid in "$top" $(pgrep -P "$top"); do
		for fd in /proc/"$pid"/fd/*; do
			link=$(readlink "$fd" 2>/dev/null) || continue
			for ino in $inodes; do
				[ "$link" = "socket:[$ino]" ] && echo "$pid"
			done
		done
	done | sort -u
}

# The PIDs among $1 and its children that hold a TCP connection to $P1.
ca_holders() { socket_pids "$1" "$P1" 3 01; }

# The PIDs among $1 and its children listening on TCP port $2.
listeners() { socket_pids "$1" "$2" 2 0A; }

# run LABEL [ENV=VAL]: start an issuance, wait for the CA connection and
# the http-01 listener; sets CFPID, HOLDER (holds the connection), RSP
# (listens) and RUN_LOG.
run() {
	local label=$1 i
	shift
	STATE="$CF_TMP/state-$label"
	RUN_LOG="$CF_TMP/$label.log"
	cf_spawn "$RUN_LOG" env "$@" "$CF" -v --state-dir "$STATE" \
		--server "https://127.0.0.1:$P1/dir" --ca-bundle "$HCA_CA" \
		issue -d "$N" --agree-tos --validation "$VALIDATION" --http-port "$HTTP_PORT" \
		--wait 60
	CFPID=$CF_LAST_PID
	HOLDER=""
	RSP=""
	KP=""
	for ((i = 0; i < 200; i++)); do
		# env execs certferry: the spawned PID is certferry itself.
		HOLDER=$(ca_holders "$CFPID" | head -n 1)
		RSP=$(listeners "$CFPID" "$HTTP_PORT" | head -n 1)
		KP=$(keyprocs "$CFPID" | head -n 1)
		# ... and the account is registered (its key exists).
		[ -n "$HOLDER" ] && [ -n "$RSP" ] &&
			compgen -G "$STATE/accounts/*/account.json" >/dev/null && break
		sleep 0.1
	done
}

# The children of $1 that are key processes.
keyprocs() {
	local pid
	for pid in $(pgrep -P "$1"); do
		tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q "__keyproc" &&
			echo "$pid"
	done
}

# The account key's private scalar as hex, big-endian and (as OpenSSL's
# BIGNUMs hold it in memory on this machine) byte-reversed.
key_hex() {
	local be
	be=$(openssl pkey -in "$(compgen -G "$STATE/accounts/*/account.key" | head -n 1)" \
		-text -noout 2>/dev/null |
		awk '/^priv:/ { f = 1; next } /^pub:/ { f = 0 } f' | tr -d ' :\n')
	be=${be#00}
	[ ${#be} -eq 64 ] || return 1
	echo "$be $(echo "$be" | fold -w2 | tac | tr -d '\n')"
}

# memscan LABEL PID WANT(found|absent) WHAT: after memscan_all.
memscan() {
	local label=$1 pid=$2 want=$3 what=$4 got
	got=$(awk -v p="$pid" '$1 == p { print $2 }' "$CF_TMP/memscan.out")
	if [ "$got" = "$want" ]; then
		t_pass "$label: the account key is $want in the memory of $what"
	else
		t_fail "$label: the account key is $want in the memory of $what" \
			"process $pid: ${got:-not scanned}"
	fi
}

# Scan the processes $1 (comma-separated) at once, while they run.
memscan_all() {
	python3 "$MEMSCAN" "$1" $KEYHEX >"$CF_TMP/memscan.out" 2>&1
}

finish() {
	local label=$1 i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$CFPID" 2>/dev/null || break
		sleep 0.1
	done
	if wait "$CFPID"; then
		t_pass "$label: the run issued the certificate"
	else
		t_fail "$label: the run issued the certificate" "$(tail -n 3 "$RUN_LOG")"
	fi
	cf_stop_pid "$CFPID" >/dev/null 2>&1 || true
}

# hostileca offers http-01 and validates it by itself: the standalone
# responder runs (and listens) for the whole order.
VALIDATION=http-01
HTTP_PORT=$(cf_freeports 1)

# --- separated (the default)
run sep
if [ -z "$HOLDER" ]; then
	t_fail "sep: a process holds the connection to the CA" "$(tail -n 5 "$RUN_LOG")"
else
	ppid=$(awk '/^PPid:/ { print $2 }' /proc/"$HOLDER"/status)
	if [ "$HOLDER" != "$CFPID" ] && [ "$ppid" = "$CFPID" ] &&
		tr '\0' ' ' </proc/"$HOLDER"/cmdline | grep -q "__netproc"; then
		t_pass "sep: the CA connection is held by certferry's network child, not by certferry"
	else
		t_fail "sep: the CA connection is held by a child" \
			"holder $HOLDER (ppid $ppid), certferry $CFPID"
	fi
	if grep -qx $'Seccomp:\t2' /proc/"$HOLDER"/status &&
		grep -qx $'NoNewPrivs:\t1' /proc/"$HOLDER"/status; then
		t_pass "sep: network process has Seccomp: 2 and NoNewPrivs: 1"
	else
		t_fail "sep: network process has Seccomp: 2 and NoNewPrivs: 1" \
			"$(grep -E '^(Seccomp|NoNewPrivs):' /proc/"$HOLDER"/status | tr '\n' ' ')"
	fi
	# No file of the state folder (account.key, the order's key) open or mapped.
	if ls -l /proc/"$HOLDER"/fd/ 2>/dev/null | grep -q "$STATE" ||
		grep -q "$STATE" /proc/"$HOLDER"/maps ||
		grep -Eq '\.key$|privkey' /proc/"$HOLDER"/maps; then
		t_fail "sep: network process holds no key file" \
			"$(ls -l /proc/"$HOLDER"/fd/; grep "$STATE" /proc/"$HOLDER"/maps)"
	else
		t_pass "sep: network process holds no key file"
	fi
	# ... while certferry itself has the account folder in use.
	if [ -e "$STATE/accounts" ]; then
		t_pass "sep: the account folder is on the parent's side"
	else
		t_fail "sep: the account folder is on the parent's side" \
			"no $STATE/accounts"
	fi
	# No descriptor open for writing but sockets and /dev/null.
	bad=""
	for fdi in /proc/"$HOLDER"/fdinfo/*; do
		fd=${fdi##*/}
		flags=$(awk '/^flags:/ { print $2 }' "$fdi" 2>/dev/null) || continue
		[ -n "$flags" ] || continue
		link=$(readlink /proc/"$HOLDER"/fd/"$fd" 2>/dev/null) || continue
		if (((8#$flags & 3) != 0)); then
			case "$link" in
			socket:* | /dev/null) ;;
			*) bad="$bad $fd->$link" ;;
			esac
		fi
	done
	if [ -z "$bad" ]; then
		t_pass "sep: network process has no file open for writing"
	else
		t_fail "sep: network process has no file open for writing" "$bad"
	fi
	# The http-01 responder: a process of its own, sandboxed, no key.
	if [ -n "$RSP" ] && [ "$RSP" != "$CFPID" ] && [ "$RSP" != "$HOLDER" ] &&
		tr '\0' ' ' </proc/"$RSP"/cmdline | grep -q "__responder" &&
		grep -qx $'Seccomp:\t2' /proc/"$RSP"/status &&
		! grep -q "$STATE" /proc/"$RSP"/maps &&
		! ls -l /proc/"$RSP"/fd/ | grep -q "$STATE"; then
		t_pass "sep: the http-01 responder is a sandboxed child without key files"
	else
		t_fail "sep: the http-01 responder is a sandboxed child without key files" \
			"listener '$RSP', certferry $CFPID, network $HOLDER"
	fi
	# No core dumps in any of them (RLIMIT_CORE 0 is inherited, and each
	# runs certferry's main, which sets it first).
	bad=""
	for pid in "$CFPID" "$HOLDER" $RSP; do
		grep -Eq '^Max core file size +0 +0 ' /proc/"$pid"/limits || bad="$bad $pid"
	done
	if [ -z "$bad" ]; then
		t_pass "sep: core dumps are off in certferry and its helpers"
	else
		t_fail "sep: core dumps are off in certferry and its helpers" "not in$bad"
	fi
	# libcurl (http/curlload.h) is loaded by the process that talks
	# HTTP, and by no other: the cost of starting the others.
	bad=""
	grep -q 'libcurl' /proc/"$HOLDER"/maps || bad="network process $HOLDER has no libcurl;"
	for pid in "$CFPID" $RSP $KP; do
		grep -q 'libcurl' /proc/"$pid"/maps && bad="$bad $pid maps libcurl;"
	done
	if [ -z "$bad" ] && [ -n "$KP" ] && [ -n "$RSP" ]; then
		t_pass "sep: libcurl is loaded in the network process only"
	else
		t_fail "sep: libcurl is loaded in the network process only" \
			"${bad:-no key process or responder found}"
	fi
	if ca_holders "$CFPID" | grep -qx "$CFPID"; then
		t_fail "sep: certferry itself holds no connection to the CA"
	else
		t_pass "sep: certferry itself holds no connection to the CA"
	fi
fi
# The key process: the account key is in its memory and no other's.
if [ -z "$KP" ] || [ "$KP" = "$CFPID" ] || [ "$KP" = "$HOLDER" ]; then
	t_fail "sep: a key process of its own holds the account key" \
		"key process '$KP', certferry $CFPID, network $HOLDER"
elif ! KEYHEX=$(key_hex); then
	t_fail "sep: the account key's private part can be read for the scan" \
		"$(ls -l "$STATE"/accounts/*/ 2>&1)"
else
	t_pass "sep: a key process of its own holds the account key"
	if grep -qx $'Seccomp:\t2' /proc/"$KP"/status &&
		grep -qx $'NoNewPrivs:\t1' /proc/"$KP"/status; then
		t_pass "sep: key process has Seccomp: 2 and NoNewPrivs: 1"
	else
		t_fail "sep: key process has Seccomp: 2 and NoNewPrivs: 1" \
			"$(grep -E '^(Seccomp|NoNewPrivs):' /proc/"$KP"/status | tr '\n' ' ')"
	fi
	# Nothing open but its channel and /dev/null: account.key was read
	# and closed before the sandbox.
	bad=$(for fd in /proc/"$KP"/fd/*; do readlink "$fd"; done 2>/dev/null |
		grep -v -e '^socket:' -e '^/dev/null$' | tr '\n' ' ')
	if [ -z "$bad" ]; then
		t_pass "sep: key process has nothing open but its channel"
	else
		t_fail "sep: key process has nothing open but its channel" "$bad"
	fi
	memscan_all "$KP,$CFPID,$HOLDER,$RSP"
	memscan sep "$KP" found "the key process (the scan works)"
	memscan sep "$CFPID" absent "certferry, which reads the CA's answers"
	memscan sep "$HOLDER" absent "the network process"
	[ -n "$RSP" ] && memscan sep "$RSP" absent "the http-01 responder"
fi
finish sep
if [ -n "$KP" ] && kill -0 "$KP" 2>/dev/null; then
	t_fail "sep: the key process ended with the run" "$KP still runs"
else
	t_pass "sep: the key process ended with the run"
fi
if [ -n "$HOLDER" ] && grep -q "^network process $HOLDER started" "$RUN_LOG"; then
	t_pass "sep: -v names the network process"
else
	t_fail "sep: -v names the network process" "$(head -n 3 "$RUN_LOG")"
fi
if [ -n "$HOLDER" ] && kill -0 "$HOLDER" 2>/dev/null; then
	t_fail "sep: the network process ended with the run" "$HOLDER still runs"
else
	t_pass "sep: the network process ended with the run"
fi

# --- CERTFERRY_NO_PRIVSEP=1: the check sees the connection in certferry.
run nosep CERTFERRY_NO_PRIVSEP=1
if [ -n "$HOLDER" ] && [ "$HOLDER" = "$CFPID" ]; then
	t_pass "nosep: without separation certferry holds the connection (the check works)"
else
	t_fail "nosep: without separation certferry holds the connection" \
		"holder '$HOLDER', certferry $CFPID"
fi
if KEYHEX=$(key_hex); then
	memscan_all "$CFPID"
	memscan nosep "$CFPID" found "certferry without separation (the scan works)"
else
	t_fail "nosep: the account key's private part can be read for the scan"
fi
finish nosep

cf_stop_pid "$CF_LAST_PID" >/dev/null 2>&1 || true
t_done
