#!/usr/bin/env bash
# --install nginx end to end with a real nginx on its own config tree
# (never the system's): the TLS server blocks of the names are found in
# what `nginx -T` names (includes, several blocks per file), edited only
# with --configure (the rest of each file byte for byte, a backup in the
# state folder), tested, reloaded and proven by a handshake with SNI;
# a block already pointing at the PEM folder is left alone; an edit that
# fails `nginx -t` is rolled back with the server still serving the old
# certificate; a reload that does not take is caught by the serial and
# rolled back.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl nginx
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
A=a.nginx.test B=b.nginx.test C=c.nginx.test O=other.nginx.test
DIR="$CF_TMP/tls"
ports=$(cf_freeports 2) || exit 1
TLS_PORT=$(echo "$ports" | sed -n 1p) HTTP_PORT=$(echo "$ports" | sed -n 2p)
NG="$CF_TMP/ng"
mkdir -p "$NG/tmp" "$NG/sites" "$NG/snippets"

serial_of() { openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'; }
served_serial() {
	openssl s_client -connect "127.0.0.1:$TLS_PORT" -servername "$1" \
		</dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null |
		sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}
serves() { [ "$(served_serial "$1")" = "$2" ]; }

# The certificate nginx serves before certferry: self-signed, one per name.
old_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$NG/$1.key" -out "$NG/$1.crt" -days 2 -subj "/CN=$1" \
		-addext "subjectAltName=DNS:$1" 2>/dev/null
}
for n in $A $B $C $O; do old_cert "$n"; done

cat >"$NG/nginx.conf" <<CONF
user root root;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 64; }
http {
	access_log $NG/access.log;
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	include $NG/sites/*.conf;
}
CONF
# two names, two TLS blocks in one file (and an http block), an
# unrelated block that must stay as it is
cat >"$NG/sites/ab.conf" <<CONF
# sites for a and b
server {
	listen 127.0.0.1:$HTTP_PORT;
	server_name $A;
	return 301 https://\$host\$request_uri;
}
server {
	listen 127.0.0.1:$TLS_PORT ssl;   # TLS for a
	server_name $A;
	ssl_certificate     $NG/$A.crt;
	ssl_certificate_key $NG/$A.key;
	location / { return 200 "a\n"; }
}

server {
    listen 127.0.0.1:$TLS_PORT ssl;
    server_name $B;
    location / { return 200 "b\n"; }
    ssl_certificate_key "$NG/$B.key";
    ssl_certificate $NG/$B.crt;
}
CONF
cat >"$NG/sites/other.conf" <<CONF
server {
	listen 127.0.0.1:$TLS_PORT ssl default_server;
	server_name $O;
	ssl_certificate $NG/$O.crt;
	ssl_certificate_key $NG/$O.key;
}
CONF
# c takes its certificate from an include certferry cannot see into:
# adding ssl_certificate to the block makes two certificates and one key,
# which nginx -t refuses
printf 'ssl_certificate %s;\n' "$NG/$C.crt" >"$NG/snippets/c-cert.conf"
cat >"$NG/sites/c.conf" <<CONF
server {
	listen 127.0.0.1:$TLS_PORT ssl;
	server_name $C;
	include $NG/snippets/c-cert.conf;
	ssl_certificate_key $NG/$C.key;
}
CONF
# a name served only over plain http
cat >"$NG/sites/h.conf" <<CONF
server {
	listen 127.0.0.1:$HTTP_PORT;
	server_name h.nginx.test;
}
CONF
cp -a "$NG/sites" "$NG/sites.orig"

cf_spawn "$NG/stdout.log" nginx -e "$NG/error.log" -c "$NG/nginx.conf" -g "daemon off;"
NG_PID=$CF_LAST_PID
OLD_A=$(serial_of "$NG/$A.crt") OLD_C=$(serial_of "$NG/$C.crt") OLD_O=$(serial_of "$NG/$O.crt")
if ! cf_wait_for 10 "$NG_PID" serves $A "$OLD_A"; then
	t_fail "nginx starts with the old certificates" "$(tail -n 3 "$NG/error.log")"
	t_done
fi

ISSUE=(issue -d $A -d $B --name ab --pem-dir "$DIR" --agree-tos
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1
	--install nginx --server-config "$NG/nginx.conf")

# 1. blocks that use other files: without --configure, exit 2, nothing
#    ordered or edited
t_run cf_run "${ISSUE[@]}"
if [ "$T_RC" -eq 2 ] && grep -q "add --configure" "$T_ERR"; then
	t_pass "blocks using other files: exit 2 asking for --configure"
else
	t_fail "blocks using other files: exit 2 asking for --configure" "status $T_RC: $(cat "$T_ERR")"
fi
diff -r "$NG/sites.orig" "$NG/sites" >/dev/null && [ ! -e "$(cf_certdir ab)/cert.pem" ] &&
	t_pass "without --configure: nothing edited, nothing ordered" ||
	t_fail "without --configure: nothing edited, nothing ordered"

# preflight: a server binary that is not there, a name no TLS block serves
t_run cf_run "${ISSUE[@]}" --configure --server-bin "$CF_TMP/no/nginx"
[ "$T_RC" -eq 2 ] && grep -q "error: --server-bin $CF_TMP/no/nginx" "$T_ERR" &&
	t_pass "preflight: a missing server binary is exit 2 naming it" ||
	t_fail "preflight: a missing server binary is exit 2 naming it" "status $T_RC: $(cat "$T_ERR")"
t_run cf_run issue -d h.nginx.test --pem-dir "$CF_TMP/tls-h" --agree-tos --http-port "$HTTP01_PORT" \
	--http-address 127.0.0.1 --install nginx --server-config "$NG/nginx.conf" --configure
[ "$T_RC" -eq 2 ] && grep -q "h.nginx.test: served only without TLS ($NG/sites/h.conf:1)" "$T_ERR" &&
	t_pass "preflight: a name served only over http is exit 2 naming its block (no block is created)" ||
	t_fail "preflight: a name served only over http is exit 2 naming its block" "status $T_RC: $(cat "$T_ERR")"

# 2. --configure: both blocks pointed at the PEM folder, the rest byte for
#    byte, backup in the state folder, the handshake proves it
t_check "issue --install nginx --configure" cf_run "${ISSUE[@]}" --configure
NEW=$(serial_of "$DIR/cert.pem")
serves $A "$NEW" && serves $B "$NEW" && t_pass "nginx serves the new certificate to both names" ||
	t_fail "nginx serves the new certificate to both names" "$(served_serial $A) $(served_serial $B) vs $NEW"
grep -q "$A .*serves serial" "$T_OUT" && t_pass "the handshake result is reported" ||
	t_fail "the handshake result is reported" "$(cat "$T_OUT")"
serves $O "$OLD_O" && cmp -s "$NG/sites.orig/other.conf" "$NG/sites/other.conf" &&
	t_pass "the unrelated block is untouched and still serves its certificate" ||
	t_fail "the unrelated block is untouched and still serves its certificate"
expected=$(sed -e "s|ssl_certificate     $NG/$A.crt;|ssl_certificate $DIR/fullchain.pem;|" \
	-e "s|ssl_certificate_key $NG/$A.key;|ssl_certificate_key $DIR/privkey.pem;|" \
	-e "s|ssl_certificate_key \"$NG/$B.key\";|ssl_certificate_key $DIR/privkey.pem;|" \
	-e "s|ssl_certificate $NG/$B.crt;|ssl_certificate $DIR/fullchain.pem;|" "$NG/sites.orig/ab.conf")
[ "$expected" = "$(cat "$NG/sites/ab.conf")" ] &&
	t_pass "ab.conf: only the four directives changed, comments and layout kept" ||
	t_fail "ab.conf: only the four directives changed" "$(diff <(echo "$expected") "$NG/sites/ab.conf")"
bak=$(ls -d "$STATE"/backups/ab-nginx-* 2>/dev/null | head -n 1)
[ -n "$bak" ] && cmp -s "$bak/${NG//\//_}_sites_ab.conf" "$NG/sites.orig/ab.conf" &&
	t_pass "the original ab.conf is backed up in the state folder" ||
	t_fail "the original ab.conf is backed up in the state folder" "$(ls -R "$STATE/backups" 2>&1)"

# 3. renewal: the blocks already point at the PEM folder: nothing edited,
#    reload, the new serial served
cp -a "$NG/sites" "$NG/sites.after"
t_check "renew --force (blocks already pointing at the PEM folder)" cf_run renew --force --name ab
NEW2=$(serial_of "$DIR/cert.pem")
[ "$NEW2" != "$NEW" ] && serves $A "$NEW2" && serves $B "$NEW2" &&
	t_pass "renew: nginx reloaded and serves the renewed certificate" ||
	t_fail "renew: nginx reloaded and serves the renewed certificate" "$(served_serial $A) vs $NEW2"
diff -r "$NG/sites.after" "$NG/sites" >/dev/null && ! grep -q "files edited" "$T_OUT" &&
	t_pass "renew: no configuration file edited" || t_fail "renew: no configuration file edited"

# 4. an edit that fails nginx -t: the file restored, nothing reloaded, the
#    old certificate still served, exit 1 saying so
t_run cf_run issue -d $C --name c --pem-dir "$CF_TMP/tls-c" --agree-tos \
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
	--install nginx --server-config "$NG/nginx.conf" --configure
if [ "$T_RC" -eq 1 ] && grep -q "configuration test" "$T_ERR" && grep -q "rolled back" "$T_ERR"; then
	t_pass "an edit nginx -t refuses: exit 1, rolled back"
else
	t_fail "an edit nginx -t refuses: exit 1, rolled back" "status $T_RC: $(cat "$T_ERR")"
fi
cmp -s "$NG/sites.orig/c.conf" "$NG/sites/c.conf" && t_pass "c.conf restored byte for byte" ||
	t_fail "c.conf restored byte for byte" "$(diff "$NG/sites.orig/c.conf" "$NG/sites/c.conf")"
kill -HUP "$NG_PID"; sleep 0.5
serves $C "$OLD_C" && serves $A "$NEW2" && t_pass "nginx still serves the old certificate of c (and a's)" ||
	t_fail "nginx still serves the old certificate of c" "$(served_serial $C) vs $OLD_C"

# 5. a reload that does not take (a wrapper whose -s reload does nothing):
#    the handshake sees the old serial, certificate and configuration are
#    rolled back
WRAP="$CF_TMP/nginx-wrap"
cat >"$WRAP" <<W
#!/bin/sh
for a in "\$@"; do [ "\$a" = reload ] && [ -e "$CF_TMP/noreload" ] && exit 0; done
exec nginx "\$@"
W
chmod +x "$WRAP"
t_check "issue --force --server-bin (the wrapper reloads for now)" cf_run issue -d $A -d $B --name ab \
	--pem-dir "$DIR" --http-port "$HTTP01_PORT" --http-address 127.0.0.1 \
	--install nginx --server-config "$NG/nginx.conf" --server-bin "$WRAP" --force
GOOD=$(serial_of "$DIR/cert.pem")
touch "$CF_TMP/noreload"
t_run cf_run renew --force --name ab
if [ "$T_RC" -eq 1 ] && grep -q "does not serve the new certificate" "$T_ERR" &&
	grep -q "previous certificate put back" "$T_ERR"; then
	t_pass "a reload that does not take: caught by the serial, rolled back"
else
	t_fail "a reload that does not take: caught by the serial, rolled back" "status $T_RC: $(cat "$T_ERR")"
fi
[ "$(serial_of "$DIR/cert.pem")" = "$GOOD" ] && serves $A "$GOOD" &&
	t_pass "the PEM folder holds the served certificate again" ||
	t_fail "the PEM folder holds the served certificate again" "$(serial_of "$DIR/cert.pem") vs $GOOD"
rm -f "$CF_TMP/noreload"

# 6. certferry verify: the state folder's certificate (the renewed one) is
#    neither in the PEM folder nor served: drifted, exit 1; --repair
#    writes it and reloads; --connect checks by handshake at an address
CUR=$(serial_of "$(cf_certdir ab)/cert.pem")
t_run cf_run verify ab --connect "127.0.0.1:$TLS_PORT"
if [ "$T_RC" -eq 1 ] && grep -q "nginx drifted .*serves serial 0*$GOOD, not 0*$CUR" "$T_OUT" &&
	grep -q "tls  drifted  *127.0.0.1 port $TLS_PORT, $A" "$T_OUT"; then
	t_pass "verify: the server serving another certificate is reported (exit 1)"
else
	t_fail "verify: the server serving another certificate is reported (exit 1)" "status $T_RC: $(cat "$T_OUT" "$T_ERR")"
fi
t_check "verify --repair" cf_run verify ab --repair
serves $A "$CUR" && serves $B "$CUR" && grep -q "nginx repaired" "$T_OUT" &&
	t_pass "verify --repair: PEM folder rewritten, nginx reloaded, the current certificate served" ||
	t_fail "verify --repair: the current certificate served" "$(served_serial $A) vs $CUR: $(cat "$T_OUT")"
t_run cf_run verify ab --connect "127.0.0.1:$TLS_PORT"
[ "$T_RC" -eq 0 ] && grep -q "tls  ok .*$B: serves serial 0*$CUR" "$T_OUT" &&
	t_pass "verify --connect: every name serves the current serial (exit 0)" ||
	t_fail "verify --connect: every name serves the current serial" "status $T_RC: $(cat "$T_OUT" "$T_ERR")"
t_done
