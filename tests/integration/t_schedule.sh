#!/usr/bin/env bash
# certferry schedule install/remove into a temp unit dir (never the real
# /etc/systemd), and --cron.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
U="$CF_TMP/units"
mkdir -p "$STATE"
# The tests name an empty settings file (lib.sh): the job names it too.
t_check "schedule install --unit-dir" "$CF" --state-dir "$STATE" schedule install --unit-dir "$U"
svc="$U/certferry-renew.service" tmr="$U/certferry-renew.timer"
grep -qF "ExecStart=\"$CF\" --state-dir \"$(realpath "$STATE")\" --config \"/dev/null\" renew" "$svc" &&
	grep -q '^Type=oneshot' "$svc" && t_pass "service runs certferry renew" ||
	t_fail "service runs certferry renew" "$(cat "$svc")"
nfy="$U/certferry-notify@.service"
grep -qxF 'OnFailure=certferry-notify@%n.service' "$svc" &&
	grep -qF "ExecStart=\"$CF\" --state-dir \"$(realpath "$STATE")\" --config \"/dev/null\" notify unit-failed %i" "$nfy" &&
	t_pass "OnFailure= runs certferry-notify@.service: notify unit-failed" ||
	t_fail "OnFailure= runs certferry-notify@.service: notify unit-failed" "$(cat "$svc" "$nfy" 2>&1)"
grep -q '^OnCalendar=\*-\*-\* 00,12:00:00' "$tmr" && grep -q '^RandomizedDelaySec=' "$tmr" &&
	grep -q '^Persistent=true' "$tmr" && t_pass "timer: twice daily, randomized" ||
	t_fail "timer: twice daily, randomized" "$(cat "$tmr")"
if command -v systemd-analyze >/dev/null 2>&1; then
	t_check "systemd-analyze verify" systemd-analyze verify "$svc" "$tmr" "$nfy"
fi
t_check "schedule --cron" "$CF" --state-dir "$STATE" schedule install --cron
grep -Eq "^[0-9]+ [0-9]+,[0-9]+ \* \* \* root '$CF' --state-dir '.*' --config '/dev/null' renew -q$" "$T_OUT" &&
	t_pass "crontab line" || t_fail "crontab line" "$(cat "$T_OUT")"
# Paths with spaces, quotes and % survive both formats; relative paths are
# made absolute (the timer runs elsewhere).
ODD="$CF_TMP/odd dir's 100%"
mkdir -p "$ODD/state"
(cd "$ODD" && "$CF" --state-dir state --ca-bundle "ca file.pem" schedule install \
	--unit-dir "$U/odd" >"$T_OUT" 2>&1)
want="ExecStart=\"$CF\" --state-dir \"${ODD//%/%%}/state\" --ca-bundle \"${ODD//%/%%}/ca file.pem\" --config \"/dev/null\" renew"
grep -qxF "$want" "$U/odd/certferry-renew.service" && t_pass "systemd: every path absolute and quoted" ||
	t_fail "systemd: every path absolute and quoted" "$(grep ExecStart "$U/odd/certferry-renew.service")"
if command -v systemd-analyze >/dev/null 2>&1; then
	t_check "systemd-analyze verify (odd paths)" systemd-analyze verify "$U/odd/certferry-renew.service" "$U/odd/certferry-renew.timer"
fi
(cd "$ODD" && "$CF" --state-dir state schedule install --cron >"$T_OUT" 2>&1)
line=$(sed -E 's/^[0-9]+ [0-9,]+ \* \* \* root //' "$T_OUT")
# cron turns \% into %, then /bin/sh parses the line: run it through sh with
# the binary replaced by printf to see the arguments the job gets.
args=$(sh -c "set -- ${line//\\%/%}; shift; printf '<%s>' \"\$@\"")
[ "$args" = "<--state-dir><$ODD/state><--config></dev/null><renew><-q>" ] && t_pass "cron: every path absolute and quoted" ||
	t_fail "cron: every path absolute and quoted" "$line -> $args"
t_check "schedule remove" "$CF" schedule remove --unit-dir "$U"
[ ! -e "$svc" ] && [ ! -e "$tmr" ] && [ ! -e "$nfy" ] && t_pass "units removed" || t_fail "units removed"
t_expect_rc "schedule bogus (exit 2)" 2 "$CF" schedule bogus
t_done
