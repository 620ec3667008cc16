#!/usr/bin/env bash
# --deploy-hook: run after every delivery (issue, and the renewals that
# recorded it) without a shell, with win-acme placeholders in its words
# and certbot's RENEWED_LINEAGE/RENEWED_DOMAINS plus CERTFERRY_* in its
# environment, and no secret there (no EAB key, no PFX password: only the
# password file's path); a failing hook is reported and the delivery
# stands; a hook that hangs is killed after --deploy-hook-timeout.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
NAME=hook.example.test ALT=www.hook.example.test
H="$CF_TMP/hooks"
mkdir -p "$H"
cat >"$H/record.sh" <<S
#!/bin/sh
env | sort >"$H/env.\$\$"
n=0; for a in "\$@"; do n=\$((n+1)); printf 'arg%d=%s\n' "\$n" "\$a"; done >"$H/args.\$\$"
echo run >>"$H/runs"
S
printf '#!/bin/sh\necho "hook says no" >&2\nexit 3\n' >"$H/fail.sh"
printf '#!/bin/sh\nsleep 60\n' >"$H/hang.sh"
chmod +x "$H"/*.sh
printf 'pfx-secret-1234\n' >"$H/pfx.pw"
chmod 600 "$H/pfx.pw"

t_run cf_run issue -d $NAME -d $ALT --pem-dir "$CF_TMP/pem" --pfx-file "$CF_TMP/c.pfx" \
	--pfx-password-file "$H/pfx.pw" --agree-tos --http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
	--deploy-hook "$H/record.sh {CertCommonName} {CertThumbprint} {RenewalId} {CacheFile} \"{StorePath} x\" {PfxPasswordFile} {Unknown} '{RenewalId}'" \
	--deploy-hook "$H/fail.sh"
if [ "$T_RC" -eq 0 ] && grep -q "warning: deploy hook '$H/fail.sh'.*exit status 3" "$T_ERR" &&
	grep -q "deploy hooks: 2 run, 1 failed" "$T_OUT"; then
	t_pass "a failing hook is reported; the delivery stands (exit 0)"
else
	t_fail "a failing hook is reported; the delivery stands (exit 0)" "status $T_RC: $(cat "$T_ERR" "$T_OUT")"
fi
[ -f "$CF_TMP/pem/cert.pem" ] && [ -f "$CF_TMP/c.pfx" ] && t_pass "the stores are written" ||
	t_fail "the stores are written"
jq -e '.history[-1] | .outcome == "ok" and (.detail | test("deploy hook .*fail.sh.*exit status 3"))' \
	"$STATE/renewals/$NAME.json" >/dev/null &&
	t_pass "the hook's failure is in the renewal history" ||
	t_fail "the hook's failure is in the renewal history" "$(jq -c '.history[-1]' "$STATE/renewals/$NAME.json")"
ENV=$(cat "$H"/env.* 2>/dev/null) ARGS=$(cat "$H"/args.* 2>/dev/null)
serial=$(openssl x509 -in "$CF_TMP/pem/cert.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
thumb=$(openssl x509 -in "$CF_TMP/pem/cert.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
has() { grep -qxF -- "$1" <<<"$2"; }
if has "RENEWED_LINEAGE=$(cf_certdir $NAME)" "$ENV" && has "RENEWED_DOMAINS=$NAME $ALT" "$ENV" &&
	has "CERTFERRY_NAME=$NAME" "$ENV" && has "CERTFERRY_SERIAL=$serial" "$ENV" &&
	has "CERTFERRY_FULLCHAIN_FILE=$CF_TMP/pem/fullchain.pem" "$ENV" &&
	has "CERTFERRY_PFX_FILE=$CF_TMP/c.pfx" "$ENV" && has "CERTFERRY_PFX_PASSWORD_FILE=$H/pfx.pw" "$ENV" &&
	has "CERTFERRY_THUMBPRINT=$thumb" "$ENV" && grep -q '^CERTFERRY_NOT_AFTER=20' <<<"$ENV"; then
	t_pass "the hook's environment: RENEWED_*, CERTFERRY_* files, serial, thumbprint, not-after"
else
	t_fail "the hook's environment" "$ENV"
fi
if grep -q "EAB\|pfx-secret\|HMAC" <<<"$ENV"; then
	t_fail "no secret in the hook's environment" "$(grep "EAB\|pfx-secret\|HMAC" <<<"$ENV")"
else
	t_pass "no secret in the hook's environment (EAB key, PFX password)"
fi
want="arg1=$NAME
arg2=$thumb
arg3=$NAME
arg4=$CF_TMP/c.pfx
arg5=$CF_TMP/c.pfx x
arg6=$H/pfx.pw
arg7={Unknown}
arg8={RenewalId}"
[ "$ARGS" = "$want" ] && t_pass "placeholders replaced in the words (no shell; quotes keep a word, single quotes keep it literal)" ||
	t_fail "placeholders replaced in the words" "$(diff <(echo "$want") <(echo "$ARGS"))"

t_check "renew --force runs the recorded hooks" cf_run renew --force --name $NAME
[ "$(wc -l <"$H/runs")" -eq 2 ] && t_pass "the recorded hook ran again at the renewal" ||
	t_fail "the recorded hook ran again at the renewal" "$(wc -l <"$H/runs") runs"

start=$(date +%s)
t_run cf_run issue -d t.hook.example.test --pem-dir "$CF_TMP/pem2" --http-port "$HTTP01_PORT" \
	--http-address 127.0.0.1 --deploy-hook "$H/hang.sh" --deploy-hook-timeout 1
took=$(( $(date +%s) - start ))
if [ "$T_RC" -eq 0 ] && grep -q "did not finish within 1 s" "$T_ERR" && [ "$took" -lt 40 ]; then
	t_pass "a hook that hangs is killed after --deploy-hook-timeout"
else
	t_fail "a hook that hangs is killed after --deploy-hook-timeout" "status $T_RC after ${took}s: $(cat "$T_ERR")"
fi
t_done
