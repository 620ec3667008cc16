#!/usr/bin/env bash
# Notifications ([notify], docs/NOTIFY.md): a real SMTP server (Debian's
# python3-aiosmtpd, STARTTLS required, messages stored in a Maildir), a
# webhook receiver (tests/tools/httpsink) and a command.  notify test sends
# one of each; a renew run where two certificates fail sends ONE message
# naming both; certificates expiring within expiry-days are reported; a run
# with nothing to say sends nothing.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd jq
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	t_skip "$T_SCRIPT" "needs python3-aiosmtpd (scripts/install-deps.sh)"
	t_done
fi
t_pebble_start
read -r SMTP_PORT HOOK_PORT < <(cf_freeports 2 | tr '\n' ' ')
MAIL="$CF_TMP/maildir" HOOKS="$CF_TMP/hooks"
mkdir -p "$HOOKS" "$CF_TMP/tls"  # aiosmtpd creates the Maildir
cf_make_ca "$CF_TMP/tls" >/dev/null 2>&1 || t_fail "make a TLS certificate for the SMTP server"
cf_spawn "$CF_TMP/smtp.log" /usr/bin/python3 -m aiosmtpd -n \
	-l "127.0.0.1:$SMTP_PORT" --tlscert "$CF_TMP/tls/server.pem" \
	--tlskey "$CF_TMP/tls/server.key" -c aiosmtpd.handlers.Mailbox "$MAIL"
cf_spawn "$CF_TMP/hook.log" "$BUILD/tools/httpsink" "$HOOK_PORT" "$HOOKS"
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null &&
		(exec 3<>"/dev/tcp/127.0.0.1/$HOOK_PORT") 2>/dev/null && break
	sleep 0.1
done
cat >"$CF_TMP/notify-cmd" <<EOC
#!/bin/sh
{ echo "subject=\$CERTFERRY_NOTIFY_SUBJECT"; echo "leak=\${CF_NOTIFY_LEAK:-}"; } >>"$CF_TMP/cmd.out"
EOC
chmod +x "$CF_TMP/notify-cmd"
CONF="$CF_TMP/certferry.conf"
write_conf() { # EXPIRY-DAYS
	cat >"$CONF" <<-EOC
	[global]
	state-dir = $STATE
	server = $PEBBLE_DIR_URL
	ca-bundle = $PEBBLE_CA

	[issue]
	agree-tos = yes
	eab-kid = $EAB_KID
	eab-hmac-key-file = $EAB_HMAC_FILE
	http-port = $HTTP01_PORT
	http-address = 127.0.0.1

	[notify]
	smtp-url = smtp://127.0.0.1:$SMTP_PORT
	smtp-starttls = yes
	tls-ca-bundle = $CF_TMP/tls/ca.pem
	mail-from = certferry@example.test
	mail-to = ops@example.test
	mail-to = oncall@example.test
	webhook-url = http://127.0.0.1:$HOOK_PORT/hook
	command = $CF_TMP/notify-cmd
	expiry-days = $1
	EOC
	chmod 600 "$CONF"  # only its owner may write it (settings.h)
}
write_conf 14
export CERTFERRY_CONFIG="$CONF"
mails() { find "$MAIL/new" -type f 2>/dev/null | wc -l; }
hooks() { find "$HOOKS" -name '*.body' | wc -l; }
last_mail() { find "$MAIL/new" -type f -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2; }

t_check "notify test" env CF_NOTIFY_LEAK=secret "$CF" notify test
if [ "$(mails)" = 1 ] && grep -q '^Subject: certferry on .*test message' "$(last_mail)" &&
	grep -q '^To: ops@example.test, oncall@example.test' "$(last_mail)"; then
	t_pass "notify test: one mail through STARTTLS to both recipients"
else
	t_fail "notify test: one mail through STARTTLS to both recipients" "$(mails) mails; $(tail -5 "$CF_TMP/smtp.log")"
fi
if [ "$(hooks)" = 1 ] && [ "$(jq -r .event "$HOOKS/1.body")" = test ] &&
	grep -qi '^Content-Type: application/json' "$HOOKS/1.head"; then
	t_pass "notify test: webhook JSON POST"
else
	t_fail "notify test: webhook JSON POST" "$(cat "$HOOKS"/1.* 2>&1 | head -5)"
fi
if grep -q '^subject=certferry on ' "$CF_TMP/cmd.out" 2>/dev/null &&
	grep -qx "leak=" "$CF_TMP/cmd.out"; then
	t_pass "notify test: command run with a minimal environment"
else
	t_fail "notify test: command run with a minimal environment" "$(cat "$CF_TMP/cmd.out" 2>&1)"
fi

t_check "issue a" "$CF" issue -d a.notify.test
t_check "issue b" "$CF" issue -d b.notify.test
m0=$(mails) h0=$(hooks)
t_check "renew with nothing due" "$CF" renew
if [ "$(mails)" = "$m0" ] && [ "$(hooks)" = "$h0" ]; then
	t_pass "nothing due, nothing expiring: no message"
else
	t_fail "nothing due, nothing expiring: no message" "$(mails) mails"
fi

# Both fail: their validation port now points at nothing.
badport=$(cf_freeports 1)
for n in a b; do
	f="$STATE/renewals/$n.notify.test.json"
	jq --argjson p "$badport" '.spec.validation.http_port = $p' "$f" >"$f.new" && mv "$f.new" "$f"
done
t_expect_rc "renew --force: both fail (exit 1)" 1 "$CF" renew --force --wait 20
if [ "$(mails)" = $((m0 + 1)) ] && m=$(last_mail) &&
	grep -q '^Subject: .*2 failed' "$m" && grep -q '^a.notify.test: failed' "$m" &&
	grep -q '^b.notify.test: failed' "$m"; then
	t_pass "two failures: one mail naming both"
else
	t_fail "two failures: one mail naming both" "$(mails) mails (had $m0); $(cat "$(last_mail)" 2>&1 | head -20)"
fi
hb="$HOOKS/$((h0 + 1)).body"
if [ "$(hooks)" = $((h0 + 1)) ] && [ "$(jq -r .event "$hb")" = failure ] &&
	[ "$(jq '[.certificates[] | select(.result == "failed")] | length' "$hb")" = 2 ]; then
	t_pass "two failures: one webhook with both"
else
	t_fail "two failures: one webhook with both" "$(cat "$hb" 2>&1)"
fi

# Expiring: Pebble's certificates live about five years; 3650 days
# means every one expires "soon".
write_conf 3650
m1=$(mails)
t_run "$CF" renew
if [ "$(mails)" = $((m1 + 1)) ] && grep -q '^Subject: .*2 expiring' "$(last_mail)"; then
	t_pass "certificates expiring within expiry-days: one mail"
else
	t_fail "certificates expiring within expiry-days: one mail" "$(mails) mails (had $m1)"
fi

# systemd's OnFailure=: a run that finished has reported; one that
# crashed (STATE/last-run still says "running") is reported now.
m2=$(mails)
t_check "unit-failed after a finished run" "$CF" notify unit-failed certferry-renew.service
if [ "$(mails)" = "$m2" ] && grep -q "^done " "$STATE/last-run"; then
	t_pass "unit-failed after a finished run: no second message"
else
	t_fail "unit-failed after a finished run: no second message" "$(mails) mails (had $m2)"
fi
echo "running 1" >"$STATE/last-run"
t_check "unit-failed after a crash" "$CF" notify unit-failed certferry-renew.service
if [ "$(mails)" = $((m2 + 1)) ] && grep -q "^certferry-renew.service: failed: the run did not finish" "$(last_mail)"; then
	t_pass "unit-failed after a crash: reported"
else
	t_fail "unit-failed after a crash: reported" "$(mails) mails (had $m2)"
fi

# A broken transport is a warning; the run's own status is unchanged.
sed -i "s|^webhook-url = .*|webhook-url = http://127.0.0.1:$badport/|" "$CONF"
t_run "$CF" renew
if grep -q "^warning: notification not sent: webhook" "$T_ERR"; then
	t_pass "an unreachable webhook is a warning"
else
	t_fail "an unreachable webhook is a warning" "rc=$T_RC $(cat "$T_ERR")"
fi
t_run "$CF" notify test
if [ "$T_RC" = 1 ]; then t_pass "notify test with a broken transport: exit 1"; else
	t_fail "notify test with a broken transport: exit 1" "rc=$T_RC"; fi
t_run "$CF" --config /dev/null notify test
if [ "$T_RC" = 2 ]; then t_pass "notify test with nothing configured: exit 2"; else
	t_fail "notify test with nothing configured: exit 2" "rc=$T_RC"; fi
t_done
