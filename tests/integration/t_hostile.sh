#!/usr/bin/env bash
# A hostile CA (issue 10) cannot make certferry validate a name it did not
# order, install a certificate it did not ask for, run past --wait, follow
# URLs to another origin, postpone renewal past expiry, or lose an account
# key.  Each scenario of tests/tools/hostileca (docs/TESTING-PROXY.md) runs
# against the real binary; validation is dns-01 through a script hook that
# only logs what it is asked to publish.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
HCA="$BUILD/tools/hostileca"
if [ ! -x "$HCA" ]; then
	t_skip "$T_SCRIPT" "$HCA is not built (make build-tests)"
	t_done
fi
skip_unless_cmd openssl cmp
N=mine.example
HOOK="$CF_TMP/hook.sh"
HOOK_LOG="$CF_TMP/hook.log"
cat >"$HOOK" <<EOF
#!/bin/sh
echo "\$1 \$2" >>"$HOOK_LOG"
EOF
chmod +x "$HOOK"
DNS=(--validation dns-01 --dns script --dns-script "$HOOK" --dns-propagation-timeout 0)

# hca_start SCENARIO: a fresh hostileca and a fresh state folder; sets
# HCA_URL (directory), HCA_CA (its CA, for --ca-bundle), HCA_LOG, HCA_PID.
hca_start() {
	local sc=$1 d="$CF_TMP/hca-$1" ports p1 p2 i
	mkdir -p "$d"
	ports=$(cf_freeports 2) || return 1
	p1=$(echo "$ports" | sed -n 1p)
	p2=$(echo "$ports" | sed -n 2p)
	HCA_CA="$d/ca.pem"
	HCA_LOG="$d/requests.log"
	cf_spawn "$d/stderr" "$HCA" --listen "127.0.0.1:$p1" \
		--alt-listen "127.0.0.1:$p2" --ca-out "$HCA_CA" --scenario "$sc" \
		--log "$HCA_LOG"
	HCA_PID=$CF_LAST_PID
	HCA_URL="https://127.0.0.1:$p1/dir"
	for ((i = 0; i < 100; i++)); do
		[ -s "$HCA_CA" ] && break
		kill -0 "$HCA_PID" 2>/dev/null || break
		sleep 0.1
	done
	STATE="$CF_TMP/state-$sc"
	: >"$HOOK_LOG"
	[ -s "$HCA_CA" ]
}

hca_run() {
	"$CF" --state-dir "$STATE" --server "$HCA_URL" --ca-bundle "$HCA_CA" "$@"
}

hca_issue() {
	hca_run issue -d "$N" --agree-tos "${DNS[@]}" "$@"
}

# expect_error LABEL REGEX: the last t_run failed with status 1 and an
# error line matching REGEX.
expect_error() {
	if [ "$T_RC" -eq 1 ] && grep -Eq "^error: .*$2" "$T_ERR"; then
		t_pass "$1"
	else
		t_fail "$1" "status $T_RC, stderr: $(tail -n 3 "$T_ERR")"
	fi
}

no_cert() {
	if [ ! -e "$STATE/certs/$N" ]; then
		t_pass "$1: nothing installed"
	else
		t_fail "$1: nothing installed" "$(ls -l "$STATE/certs")"
	fi
}

# --- good: the baseline works against this CA at all.
if hca_start good; then
	t_check "good: issue" hca_issue
	grep -qx "create _acme-challenge\.mine\.example\." "$HOOK_LOG" && t_pass "good: hook published" ||
		t_fail "good: hook published" "$(cat "$HOOK_LOG")"
	# hostileca answers the challenge "valid": its authorization is
	# valid then, and not polled (one authorization request, the read).
	n=$(grep -c ' POST /authz/' "$HCA_LOG")
	[ "$n" = 1 ] && t_pass "good: a challenge answered valid is not polled" ||
		t_fail "good: a challenge answered valid is not polled" "$n authorization requests"
	cf_stop_pid "$HCA_PID"
else
	t_fail "good: hostileca start" "$(tail -n 5 "$CF_TMP/hca-good/stderr")"
fi

# --- extra-authz: an authorization for a name that was never ordered.
if hca_start extra-authz; then
	t_run hca_issue
	expect_error "extra-authz: refused" \
		"authorization for victim\.other, which was not ordered"
	if grep -q victim "$HOOK_LOG" || grep -q '/chall/' "$HCA_LOG"; then
		t_fail "extra-authz: nothing published or answered" \
			"$(cat "$HOOK_LOG"; grep /chall/ "$HCA_LOG")"
	else
		t_pass "extra-authz: nothing published or answered"
	fi
	no_cert extra-authz
	if [ ! -e "$STATE/orders/$N.json" ]; then
		t_pass "extra-authz: no saved order left"
	else
		t_fail "extra-authz: no saved order left"
	fi
	cf_stop_pid "$HCA_PID"
else
	t_fail "extra-authz: hostileca start"
fi

# --- alt-other-leaf: an alternate chain with another certificate in it is
# never installed (issue 16), whatever --preferred-chain asks.
if hca_start alt-other-leaf; then
	CA_CN=$(openssl x509 -in "$HCA_CA" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
	t_check "alt-other-leaf: issue" hca_issue --preferred-chain "$CA_CN"
	grep -q 'alternate chain .*/cert/[0-9]*/alt refused: it holds another certificate' "$T_ERR" &&
		t_pass "alt-other-leaf: the alternate is refused, with a warning" ||
		t_fail "alt-other-leaf: the alternate is refused, with a warning" "$(cat "$T_ERR")"
	grep -q ' /cert/[0-9]*/alt 200' "$HCA_LOG" && t_pass "alt-other-leaf: the alternate was fetched" ||
		t_fail "alt-other-leaf: the alternate was fetched" "$(grep /cert "$HCA_LOG")"
	days=$(( ($(date -d "$(openssl x509 -in "$STATE/certs/$N/cert.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
	[ "$days" -ge 80 ] && t_pass "alt-other-leaf: the default chain's certificate is installed" ||
		t_fail "alt-other-leaf: the default chain's certificate is installed" "$days days"
	cf_stop_pid "$HCA_PID"
else
	t_fail "alt-other-leaf: hostileca start"
fi

# --- wrong-sans: the certificate has our key but other names.
if hca_start wrong-sans; then
	t_run hca_issue
	expect_error "wrong-sans: refused" \
		"certificate for victim\.other, which was not ordered; nothing was installed"
	no_cert wrong-sans
	if [ ! -e "$STATE/orders/$N.json" ]; then
		t_pass "wrong-sans: no saved order left"
	else
		t_fail "wrong-sans: no saved order left"
	fi
	cf_stop_pid "$HCA_PID"
else
	t_fail "wrong-sans: hostileca start"
fi

# --- many-authz: 3,000 slow authorizations; --wait 5 bounds the run.
if hca_start many-authz; then
	start=$(date +%s)
	t_run timeout 120 "$CF" --state-dir "$STATE" --server "$HCA_URL" \
		--ca-bundle "$HCA_CA" issue -d "$N" --agree-tos "${DNS[@]}" --wait 5
	secs=$(($(date +%s) - start))
	expect_error "many-authz: refused" "3000 authorizations for 1 ordered name"
	nreq=$(grep -c . "$HCA_LOG" || true)
	nauthz=$(grep -c ' /authz/' "$HCA_LOG" || true)
	# nreq >= 1: "no authorization fetched" only counts from a log that
	# shows the CA was talked to.
	if [ "$secs" -le 60 ] && [ "$nauthz" -eq 0 ] && [ "$nreq" -ge 1 ] &&
		[ "$nreq" -le 10 ]; then
		t_pass "many-authz: bounded ($secs s, $nreq requests)"
	else
		t_fail "many-authz: bounded" "$secs s, $nreq requests, $nauthz authz"
	fi
	no_cert many-authz
	cf_stop_pid "$HCA_PID"
else
	t_fail "many-authz: hostileca start"
fi

# --- slow-authz: 20 names, each authorization answered after 1 s: with
# --wait 3 no request starts after the budget (exit 3, the order saved).
if hca_start slow-authz; then
	names=()
	for i in $(seq 1 20); do names+=(-d "n$i.example"); done
	start=$(date +%s)
	t_run timeout 120 "$CF" --state-dir "$STATE" --server "$HCA_URL" \
		--ca-bundle "$HCA_CA" issue "${names[@]}" --agree-tos "${DNS[@]}" --wait 3
	secs=$(($(date +%s) - start))
	nauthz=$(grep -c ' /authz/' "$HCA_LOG" || true)
	if [ "$T_RC" -eq 3 ] && grep -q "wait budget (--wait 3 s) is spent" "$T_ERR" &&
		[ "$secs" -le 15 ] && [ "$nauthz" -le 8 ]; then
		t_pass "slow-authz: stops at --wait ($secs s, $nauthz authorizations)"
	else
		t_fail "slow-authz: stops at --wait" \
			"status $T_RC, $secs s, $nauthz authz: $(tail -n 1 "$T_ERR")"
	fi
	cf_stop_pid "$HCA_PID"
else
	t_fail "slow-authz: hostileca start"
fi

# --- cross-origin: URLs on another port are refused unless allowed.
if hca_start cross-origin; then
	t_run hca_issue
	expect_error "cross-origin: refused by default" \
		"which is not on the origin of its directory"
	if grep -q '^alt ' "$HCA_LOG"; then
		t_fail "cross-origin: no request to the other origin" \
			"$(grep '^alt ' "$HCA_LOG" | head -3)"
	else
		t_pass "cross-origin: no request to the other origin"
	fi
	no_cert cross-origin
	t_check "cross-origin: issued with --allow-cross-origin" \
		"$CF" --allow-cross-origin --state-dir "$STATE" --server "$HCA_URL" \
		--ca-bundle "$HCA_CA" issue -d "$N" --agree-tos "${DNS[@]}"
	cf_stop_pid "$HCA_PID"
else
	t_fail "cross-origin: hostileca start"
fi

# --- ari-after-expiry: a window 10 days after expiry does not postpone
# the renewal past the lifetime rule (day 60 of 90).
if hca_start ari-after-expiry; then
	t_check "ari-after-expiry: issue" hca_issue
	t_run env CERTFERRY_NOW="@$(($(date +%s) + 70 * 86400))" \
		"$CF" --state-dir "$STATE" --server "$HCA_URL" --ca-bundle "$HCA_CA" \
		renew --dry-run
	if grep -q "^$N: due" "$T_OUT" && grep -q '/renewal-info/' "$HCA_LOG"; then
		t_pass "ari-after-expiry: due before expiry"
	else
		t_fail "ari-after-expiry: due before expiry" "$(cat "$T_OUT" "$T_ERR")"
	fi
	cf_stop_pid "$HCA_PID"
else
	t_fail "ari-after-expiry: hostileca start"
fi

# --- keychange-500: the CA applies the new key, then answers 500.  The
# outcome is unknown: account.key.new is kept, the next rollover settles it.
if hca_start keychange-500; then
	t_check "keychange-500: account register" hca_run account register --agree-tos
	adir=$(ls -d "$STATE"/accounts/*/ 2>/dev/null | head -1)
	t_run hca_run account rollover
	if [ "$T_RC" -eq 1 ] && grep -q "outcome is unknown" "$T_ERR" &&
		[ -s "$adir/account.key.new" ]; then
		t_pass "keychange-500: unknown outcome keeps account.key.new"
	else
		t_fail "keychange-500: unknown outcome keeps account.key.new" \
			"status $T_RC: $(tail -n 2 "$T_ERR"); $(ls "$adir")"
	fi
	cp "$adir/account.key.new" "$CF_TMP/newkey" 2>/dev/null
	t_check "keychange-500: rollover again settles it" hca_run account rollover
	if [ ! -e "$adir/account.key.new" ] &&
		cmp -s "$adir/account.key" "$CF_TMP/newkey" &&
		grep -q 'event lookup found' "$HCA_LOG"; then
		t_pass "keychange-500: the new key is account.key"
	else
		t_fail "keychange-500: the new key is account.key" "$(ls "$adir")"
	fi
	# hostileca verifies every kid-signed request with the account's key.
	t_check "keychange-500: account usable with the new key" hca_run account show
	cf_stop_pid "$HCA_PID"
else
	t_fail "keychange-500: hostileca start"
fi

# --- keychange-drop: the CA applies the new key and closes the connection.
# libcurl resends the request on a new connection and the CA refuses that
# copy (signed with the old key): certferry asks the CA which key it holds
# before believing the refusal, and keeps the new key.
if hca_start keychange-drop; then
	t_check "keychange-drop: account register" hca_run account register --agree-tos
	adir=$(ls -d "$STATE"/accounts/*/ 2>/dev/null | head -1)
	cp "$adir/account.key" "$CF_TMP/oldkey"
	t_run hca_run account rollover
	if { [ "$T_RC" -eq 0 ] && ! cmp -s "$adir/account.key" "$CF_TMP/oldkey"; } ||
		{ [ "$T_RC" -eq 1 ] && [ -s "$adir/account.key.new" ]; }; then
		t_pass "keychange-drop: the new key is not lost"
	else
		t_fail "keychange-drop: the new key is not lost" \
			"status $T_RC: $(tail -n 2 "$T_ERR"); $(ls "$adir")"
	fi
	[ "$T_RC" -eq 0 ] || t_run hca_run account rollover
	t_check "keychange-drop: account usable with the new key" hca_run account show
	cf_stop_pid "$HCA_PID"
else
	t_fail "keychange-drop: hostileca start"
fi

t_done
