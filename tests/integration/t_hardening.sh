#!/usr/bin/env bash
# Process hardening (docs/ARCHITECTURE.md "Hardening"): a dns-01 hook run
# during a real issuance sees a minimal environment (no EAB HMAC key, no
# PFX password, nothing the caller exported), holds no descriptor of
# certferry's beyond 0, 1, 2, and finds its parent without core dumps and
# not dumpable (a process of the same uid without CAP_SYS_PTRACE cannot
# read certferry's /proc/PID/environ); the EAB HMAC key is read only when
# an account is registered.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd curl setpriv

t_pebble_start
DUMP="$CF_TMP/hookdump"
mkdir -p "$DUMP"
HOOK="$CF_TMP/dump-hook.sh"
cat >"$HOOK" <<EOS
#!/bin/sh
if [ "\$1" = create ]; then
	env >"$DUMP/env"
	ls -l /proc/\$\$/fd >"$DUMP/fds"
	cat /proc/\$PPID/limits >"$DUMP/limits"
	if cat /proc/\$PPID/environ >/dev/null 2>&1; then
		echo readable >"$DUMP/environ"
	else
		echo denied >"$DUMP/environ"
	fi
	path=set-txt
else
	path=clear-txt
fi
exec curl -sf -d "{\"host\":\"\$2\",\"value\":\"\$3\"}" "$CHALLTEST_MGMT_URL/\$path"
EOS
chmod 755 "$HOOK"

# certferry and its hook run with no capabilities (as root: a root
# process with CAP_SYS_PTRACE, or with more capabilities than the reader,
# is never readable), so only the dumpable flag decides whether the hook,
# same uid, can read certferry's /proc/PID/environ.
NOCAPS=()
if [ "$(id -u)" = 0 ]; then
	NOCAPS=(setpriv --bounding-set=-all --inh-caps=-all)
fi
HMAC=$(cat "$EAB_HMAC_FILE")
PFXPW="pfx-secret-$$-do-not-leak"
t_check "issue through a dumping dns-01 hook, secrets in the environment" \
	env CERTFERRY_EAB_HMAC_KEY="$HMAC" CERTFERRY_PFX_PASSWORD="$PFXPW" \
	CERTFERRY_EAB_KID="$EAB_KID" CF_TEST_EXPORTED_TOKEN=exported-token \
	"${NOCAPS[@]}" "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$PEBBLE_CA" issue -d dump.example.test --agree-tos \
	--validation dns-01 --dns script --dns-script "$HOOK" \
	--dns-resolver "$PEBBLE_DNS" --dns-propagation-timeout 20

if [ ! -s "$DUMP/env" ]; then
	t_fail "hook ran and dumped its environment" "no $DUMP/env"
	
# The EAB HMAC key is read only to register: with the account in place, a
# key file that does not exist is never opened.
t_check "issue with an account: the EAB key file is not read" \
	env CERTFERRY_PFX_PASSWORD="$PFXPW" \
	"$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$PEBBLE_CA" issue -d again.example.test \
	--eab-kid "$EAB_KID" --eab-hmac-key-file "$CF_TMP/no-such-eab-key" \
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1
t_done
fi
leaks=$(grep -E '^(CERTFERRY_EAB|CERTFERRY_PFX|CERTFERRY_SERVER|CF_TEST_EXPORTED)' "$DUMP/env" | cut -d= -f1)
if [ -z "$leaks" ] && ! grep -qF "$HMAC" "$DUMP/env" &&
	! grep -qF "$PFXPW" "$DUMP/env"; then
	t_pass "hook environment: no EAB key, no PFX password, no caller variables"
else
	t_fail "hook environment: no EAB key, no PFX password" "$(echo "$leaks" | tr '\n' ' ')"
fi
if grep -q '^CERTFERRY_DNS_RECORD=_acme-challenge.dump.example.test.$' "$DUMP/env" &&
	grep -q '^PATH=/' "$DUMP/env"; then
	t_pass "hook environment: its own CERTFERRY_DNS_* and PATH"
else
	t_fail "hook environment: its own CERTFERRY_DNS_* and PATH" "$(cat "$DUMP/env")"
fi
# "N -> target" lines.  Above 2 only the shell's own: the script it reads
# and its saved copies of 0-2 (made for the redirections above).
extra=$(awk -v hook="$HOOK" '$(NF-1) == "->" {
		fd = $(NF-2) + 0
		if (fd <= 2) std[$NF] = 1; else t[fd] = $NF
	}
	END { for (fd in t) if (t[fd] != hook && !(t[fd] in std)) print fd " -> " t[fd] }' "$DUMP/fds")
if [ -z "$extra" ] && grep -q ' 0 -> ' "$DUMP/fds"; then
	t_pass "hook descriptors: only 0, 1, 2 (and its own script)"
else
	t_fail "hook descriptors: only 0, 1, 2" "$(echo "$extra" | tr '\n' ' ')"
fi
if grep -Eq '^Max core file size +0 +0 ' "$DUMP/limits"; then
	t_pass "certferry runs with a core size limit of 0"
else
	t_fail "certferry runs with a core size limit of 0" "$(grep -i core "$DUMP/limits")"
fi
if [ "$(cat "$DUMP/environ")" = denied ]; then
	t_pass "certferry is not dumpable: its /proc/PID/environ is closed to its uid"
else
	t_fail "certferry is not dumpable" "/proc/PID/environ was readable"
fi

# The EAB HMAC key is read only to register: with the account in place, a
# key file that does not exist is never opened.
t_check "issue with an account: the EAB key file is not read" \
	env CERTFERRY_PFX_PASSWORD="$PFXPW" \
	"$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$PEBBLE_CA" issue -d again.example.test \
	--eab-kid "$EAB_KID" --eab-hmac-key-file "$CF_TMP/no-such-eab-key" \
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1
t_done
