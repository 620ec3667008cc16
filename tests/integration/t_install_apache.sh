#!/usr/bin/env bash
# --install apache end to end with a real Apache (apache2, run in the
# foreground on its own ServerRoot, PidFile and ports; never the system's
# configuration or service): the virtual hosts of the names are found in
# the files `apache2ctl -t -D DUMP_INCLUDES` lists, SSLCertificateFile/
# SSLCertificateKeyFile are set only with --configure (the rest byte for
# byte), the configuration is tested, Apache reloaded gracefully and the
# handshake with SNI proves the new serial; a renewal finds them already
# pointing at the PEM folder and edits nothing.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl apache2 apache2ctl
MODS=/usr/lib/apache2/modules
if [ ! -f "$MODS/mod_ssl.so" ] || ! id www-data >/dev/null 2>&1; then
	t_skip "apache installer" "no $MODS/mod_ssl.so or no www-data user"
	t_done
fi
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
A=a.apache.test B=b.apache.test O=other.apache.test
DIR="$CF_TMP/tls"
TLS_PORT=$(cf_freeports 1) || exit 1
AP="$CF_TMP/ap"
mkdir -p "$AP/run" "$AP/logs" "$AP/sites"

serial_of() { openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'; }
served_serial() {
	openssl s_client -connect "127.0.0.1:$TLS_PORT" -servername "$1" \
		</dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null |
		sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}
serves() { [ "$(served_serial "$1")" = "$2" ]; }
for n in $A $B $O; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$AP/$n.key" -out "$AP/$n.crt" -days 2 -subj "/CN=$n" \
		-addext "subjectAltName=DNS:$n" 2>/dev/null
done

# The workers run as www-data (Apache refuses root); the keys are read by
# the parent, as root, before that.
cat >"$AP/httpd.conf" <<CONF
ServerRoot $AP
PidFile $AP/run/httpd.pid
ErrorLog $AP/logs/error.log
DefaultRuntimeDir $AP/run
Mutex file:$AP/run default
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule ssl_module $MODS/mod_ssl.so
LoadModule socache_shmcb_module $MODS/mod_socache_shmcb.so
User www-data
Group www-data
ServerName localhost
Listen 127.0.0.1:$TLS_PORT
IncludeOptional $AP/sites/*.conf
CONF
cat >"$AP/sites/a.conf" <<CONF
# a and its alias b
<VirtualHost 127.0.0.1:$TLS_PORT>
    ServerName $A
    ServerAlias $B
    SSLEngine on
    SSLCertificateFile "$AP/$A.crt"
    SSLCertificateKeyFile $AP/$A.key
</VirtualHost>
CONF
cat >"$AP/sites/other.conf" <<CONF
<VirtualHost 127.0.0.1:$TLS_PORT>
	ServerName $O
	SSLEngine on
	SSLCertificateFile $AP/$O.crt
	SSLCertificateKeyFile $AP/$O.key
</VirtualHost>
CONF
cp -a "$AP/sites" "$AP/sites.orig"
cf_spawn "$AP/stdout.log" apache2 -f "$AP/httpd.conf" -D FOREGROUND
AP_PID=$CF_LAST_PID
OLD_A=$(serial_of "$AP/$A.crt") OLD_O=$(serial_of "$AP/$O.crt")
if ! cf_wait_for 10 "$AP_PID" serves $A "$OLD_A"; then
	t_fail "apache starts with the old certificates" "$(tail -n 3 "$AP/logs/error.log" "$AP/stdout.log")"
	t_done
fi

ISSUE=(issue -d $A -d $B --name ab --pem-dir "$DIR" --agree-tos
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1
	--install apache --server-config "$AP/httpd.conf")
t_run cf_run "${ISSUE[@]}"
if [ "$T_RC" -eq 2 ] && grep -q "add --configure" "$T_ERR"; then
	t_pass "a virtual host using other files: exit 2 asking for --configure"
else
	t_fail "a virtual host using other files: exit 2 asking for --configure" "status $T_RC: $(cat "$T_ERR")"
fi
t_check "issue --install apache --configure" cf_run "${ISSUE[@]}" --configure
NEW=$(serial_of "$DIR/cert.pem")
serves $A "$NEW" && serves $B "$NEW" && t_pass "apache serves the new certificate to the name and its alias" ||
	t_fail "apache serves the new certificate to the name and its alias" "$(served_serial $A) vs $NEW; $(tail -n 3 "$AP/logs/error.log")"
expected=$(sed -e "s|SSLCertificateFile \"$AP/$A.crt\"|SSLCertificateFile $DIR/fullchain.pem|" \
	-e "s|SSLCertificateKeyFile $AP/$A.key|SSLCertificateKeyFile $DIR/privkey.pem|" "$AP/sites.orig/a.conf")
[ "$expected" = "$(cat "$AP/sites/a.conf")" ] &&
	t_pass "a.conf: only the two directives changed" ||
	t_fail "a.conf: only the two directives changed" "$(diff <(echo "$expected") "$AP/sites/a.conf")"
serves $O "$OLD_O" && cmp -s "$AP/sites.orig/other.conf" "$AP/sites/other.conf" &&
	t_pass "the unrelated virtual host is untouched" || t_fail "the unrelated virtual host is untouched"

cp -a "$AP/sites" "$AP/sites.after"
t_check "renew --force (virtual host already pointing at the PEM folder)" cf_run renew --force --name ab
NEW2=$(serial_of "$DIR/cert.pem")
[ "$NEW2" != "$NEW" ] && cf_wait_for 10 "$AP_PID" serves $A "$NEW2" &&
	t_pass "renew: apache reloaded gracefully and serves the renewed certificate" ||
	t_fail "renew: apache reloaded gracefully and serves the renewed certificate" "$(served_serial $A) vs $NEW2"
diff -r "$AP/sites.after" "$AP/sites" >/dev/null && t_pass "renew: no configuration file edited" ||
	t_fail "renew: no configuration file edited"
t_run cf_run verify ab
[ "$T_RC" -eq 0 ] && grep -q "apache ok " "$T_OUT" && grep -q "b.apache.test on 127.0.0.1 port $TLS_PORT: serves serial" "$T_ERR" &&
	t_pass "verify: apache serves the current certificate to both names" ||
	t_fail "verify: apache serves the current certificate to both names" "status $T_RC: $(cat "$T_OUT" "$T_ERR")"
t_done
