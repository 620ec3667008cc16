#!/usr/bin/env bash
# certferry schedule install/remove into a temp unit dir (never the real
# /etc/systemd), and --cron.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
U="$CF_TMP/units"
mkdir -p "$STATE"
t_check "schedule install --unit-dir" "$CF" --state-dir "$STATE" schedule install --unit-dir "$U"
svc="$U/certferry-renew.service" tmr="$U/certferry-renew.timer"
grep -q "^ExecStart=$CF --state-dir $(realpath "$STATE") renew$" "$svc" &&
	grep -q '^Type=oneshot' "$svc" && t_pass "service runs certferry renew" ||
	t_fail "service runs certferry renew" "$(cat "$svc")"
grep -q '^OnCalendar=\*-\*-\* 00,12:00:00' "$tmr" && grep -q '^RandomizedDelaySec=' "$tmr" &&
	grep -q '^Persistent=true' "$tmr" && t_pass "timer: twice daily, randomized" ||
	t_fail "timer: twice daily, randomized" "$(cat "$tmr")"
if command -v systemd-analyze >/dev/null 2>&1; then
	t_check "systemd-analyze verify" systemd-analyze verify "$svc" "$tmr"
fi
t_check "schedule --cron" "$CF" --state-dir "$STATE" schedule install --cron
grep -Eq "^[0-9]+ [0-9]+,[0-9]+ \* \* \* root $CF --state-dir .* renew -q$" "$T_OUT" &&
	t_pass "crontab line" || t_fail "crontab line" "$(cat "$T_OUT")"
t_check "schedule remove" "$CF" schedule remove --unit-dir "$U"
[ ! -e "$svc" ] && [ ! -e "$tmr" ] && t_pass "units removed" || t_fail "units removed"
t_expect_fail "schedule bogus" "$CF" schedule bogus
t_done
