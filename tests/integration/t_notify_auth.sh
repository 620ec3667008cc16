#!/usr/bin/env bash
# SMTP AUTH for notifications (docs/NOTIFY.md): a real SMTP server
# (Debian's python3-aiosmtpd) that requires STARTTLS and then a login
# checked against a password file.  `notify test` with the wrong password
# fails with an error naming smtp-user and the password file (never the
# password); with the right one the mail is delivered; without a password
# the server's refusal is reported; a password file that others may read
# is a warning; the password never shows, even with -vv.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
if ! /usr/bin/python3 -c 'import aiosmtpd.smtp' 2>/dev/null; then
	t_skip "$T_SCRIPT" "needs python3-aiosmtpd (scripts/install-deps.sh)"
	t_done
fi
SMTP_PORT=$(cf_freeports 1)
MAIL="$CF_TMP/maildir"
mkdir -p "$CF_TMP/tls"
cf_make_ca "$CF_TMP/tls" >/dev/null 2>&1 || t_fail "make a TLS certificate for the SMTP server"
PASS="correct horse $$ battery"
printf '%s\n' "$PASS" >"$CF_TMP/server.pass"
# The server: STARTTLS required, AUTH required after it (aiosmtpd's
# default auth_require_tls), logins checked against server.pass; each
# attempt logged as "MECHANISM ok|denied".
cat >"$CF_TMP/smtp_auth.py" <<'EOP'
import asyncio, ssl, sys
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

port, cert, key, user, pwfile, maildir, authlog = sys.argv[1:]
want = open(pwfile, "rb").read().strip()


def check(server, session, envelope, mechanism, data):
    ok = (isinstance(data, LoginPassword) and data.login == user.encode()
          and data.password == want)
    with open(authlog, "a") as f:
        f.write("%s %s\n" % (mechanism, "ok" if ok else "denied"))
    return AuthResult(success=ok, handled=False)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
handler = Mailbox(maildir)


async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(
        lambda: SMTP(handler, tls_context=ctx, require_starttls=True,
                     authenticator=check, auth_required=True),
        "127.0.0.1", int(port))
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
EOP
cf_spawn "$CF_TMP/smtp.log" /usr/bin/python3 "$CF_TMP/smtp_auth.py" "$SMTP_PORT" \
	"$CF_TMP/tls/server.pem" "$CF_TMP/tls/server.key" certferry \
	"$CF_TMP/server.pass" "$MAIL" "$CF_TMP/auth.log"
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break
	sleep 0.1
done
CONF="$CF_TMP/certferry.conf"
write_conf() { # PASSWORD-FILE (empty: none)
	{
		printf '[notify]\nsmtp-url = smtp://127.0.0.1:%s\n' "$SMTP_PORT"
		printf 'smtp-starttls = yes\ntls-ca-bundle = %s\n' "$CF_TMP/tls/ca.pem"
		printf 'smtp-user = certferry\nmail-from = certferry@example.test\n'
		printf 'mail-to = ops@example.test\n'
		[ -n "$1" ] && printf 'smtp-password-file = %s\n' "$1"
	} >"$CONF"
	chmod 600 "$CONF"
}
export CERTFERRY_CONFIG="$CONF"
mails() { find "$MAIL/new" -type f 2>/dev/null | wc -l; }
no_password_shown() { # LABEL
	if grep -qF "$PASS" "$T_OUT" "$T_ERR" || grep -qF "wrong $$" "$T_OUT" "$T_ERR"; then
		t_fail "$1: the password is never shown" "$(cat "$T_ERR")"
	else
		t_pass "$1: the password is never shown"
	fi
}

printf 'wrong %s\n' "$$" >"$CF_TMP/wrong.pass"
chmod 600 "$CF_TMP/wrong.pass"
write_conf "$CF_TMP/wrong.pass"
t_run "$CF" -vv notify test
if [ "$T_RC" = 1 ] && [ "$(mails)" = 0 ] &&
	grep -q "^error: .*refused the login of smtp-user 'certferry'.*$CF_TMP/wrong.pass" "$T_ERR" &&
	grep -q ' denied$' "$CF_TMP/auth.log" 2>/dev/null; then
	t_pass "wrong password: exit 1, nothing delivered, the error names smtp-user and the file"
else
	t_fail "wrong password: exit 1, nothing delivered, the error names smtp-user and the file" \
		"rc=$T_RC mails=$(mails) $(cat "$T_ERR") auth: $(cat "$CF_TMP/auth.log" 2>&1)"
fi
no_password_shown "wrong password"

write_conf ""
t_run "$CF" notify test
if [ "$T_RC" = 1 ] && [ "$(mails)" = 0 ] && grep -q "^error: e-mail through smtp://" "$T_ERR"; then
	t_pass "no password: the server's refusal is an error"
else
	t_fail "no password: the server's refusal is an error" "rc=$T_RC mails=$(mails) $(cat "$T_ERR")"
fi

cp "$CF_TMP/server.pass" "$CF_TMP/right.pass"
chmod 600 "$CF_TMP/right.pass"
write_conf "$CF_TMP/right.pass"
t_run "$CF" -vv notify test
if [ "$T_RC" = 0 ] && [ "$(mails)" = 1 ] && grep -q ' ok$' "$CF_TMP/auth.log" &&
	! grep -q 'readable by others' "$T_ERR"; then
	t_pass "right password: delivered after AUTH over STARTTLS"
else
	t_fail "right password: delivered after AUTH over STARTTLS" \
		"rc=$T_RC mails=$(mails) $(cat "$T_ERR") auth: $(cat "$CF_TMP/auth.log" 2>&1)"
fi
no_password_shown "right password"

chmod 644 "$CF_TMP/right.pass"
t_run "$CF" notify test
if [ "$T_RC" = 0 ] && [ "$(mails)" = 2 ] &&
	grep -q "^warning: $CF_TMP/right.pass is readable by others; chmod 600 it" "$T_ERR"; then
	t_pass "a password file others may read: delivered with a warning"
else
	t_fail "a password file others may read: delivered with a warning" "rc=$T_RC mails=$(mails) $(cat "$T_ERR")"
fi

write_conf "$CF_TMP/missing.pass"
t_run "$CF" notify test
if [ "$T_RC" != 0 ] && grep -q "$CF_TMP/missing.pass" "$T_ERR"; then
	t_pass "a missing password file: an error naming it"
else
	t_fail "a missing password file: an error naming it" "rc=$T_RC $(cat "$T_ERR")"
fi
t_done
