#!/usr/bin/env bash
# --pem-dir end to end with a real nginx serving the folder over TLS: the
# four names are links into DIR/.certferry/current (one rename swaps the
# set), nginx reads them through the links, a renewal swaps the set and a
# reload serves the new certificate; a folder in the old layout (four
# regular files) is moved over by the next renewal, and the key matches the
# certificate at every step.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl nginx
t_pebble_start
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC
NAME=pemdir.example.test
DIR="$CF_TMP/tls"
mkdir -m 0750 "$DIR"

serial_of() { openssl x509 -in "$1" -noout -serial 2>/dev/null; }
served_serial() {
	openssl s_client -connect "127.0.0.1:$TLS_PORT" -servername "$NAME" \
		</dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null
}
serves() { [ "$(served_serial)" = "$1" ]; }

# layout_ok LABEL: links, matching pair, modes, same as the state folder.
layout_ok() {
	local label=$1 f bad=""
	for f in privkey.pem cert.pem chain.pem fullchain.pem; do
		[ "$(readlink "$DIR/$f")" = ".certferry/current/$f" ] || bad="$bad $f"
	done
	[ -z "$bad" ] && t_pass "$label: the four names link to .certferry/current/" ||
		t_fail "$label: the four names link to .certferry/current/" "not links:$bad"
	cert_key_matches "$DIR/cert.pem" "$DIR/privkey.pem" &&
		t_pass "$label: key matches cert.pem" || t_fail "$label: key matches cert.pem"
	cmp -s "$DIR/fullchain.pem" "$(cf_certdir "$NAME")/fullchain.pem" &&
		t_pass "$label: fullchain.pem is the state folder's" ||
		t_fail "$label: fullchain.pem is the state folder's"
	[ "$(file_mode "$DIR/privkey.pem")" = 600 ] && [ "$(file_mode "$DIR/.certferry")" = 750 ] &&
		t_pass "$label: key 0600, .certferry keeps the folder's 0750" ||
		t_fail "$label: key 0600, .certferry keeps the folder's 0750" \
			"$(file_mode "$DIR/privkey.pem") $(file_mode "$DIR/.certferry")"
}

t_check "issue --pem-dir" cf_run issue -d "$NAME" --pem-dir "$DIR" --agree-tos \
	--http-port "$HTTP01_PORT" --http-address 127.0.0.1
layout_ok "issue"

TLS_PORT=$(cf_freeports 1) || exit 1
NG="$CF_TMP/nginx-tls"
mkdir -p "$NG/tmp"
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
	server {
		listen 127.0.0.1:$TLS_PORT ssl;
		server_name $NAME;
		ssl_certificate $DIR/fullchain.pem;
		ssl_certificate_key $DIR/privkey.pem;
		location / { return 200 "ok\n"; }
	}
}
CONF
cf_spawn "$NG/stdout.log" nginx -e "$NG/error.log" -p "$NG" -c "$NG/nginx.conf" -g "daemon off;"
NG_PID=$CF_LAST_PID
s1=$(serial_of "$DIR/cert.pem")
if cf_wait_for 10 "$NG_PID" serves "$s1"; then
	t_pass "nginx serves the certificate through the links"
else
	t_fail "nginx serves the certificate through the links" "$(served_serial) vs $s1; $(tail -n 3 "$NG/error.log")"
fi

# renew: a new generation swapped in, the previous kept, nginx reloads
t_check "renew --force" cf_run renew --force
s2=$(serial_of "$DIR/cert.pem")
[ -n "$s2" ] && [ "$s2" != "$s1" ] && t_pass "renew: cert.pem is the new certificate" ||
	t_fail "renew: cert.pem is the new certificate" "$s1 -> $s2"
layout_ok "renew"
[ "$(readlink "$DIR/.certferry/current")" = gen-2 ] && [ -d "$DIR/.certferry/gen-1" ] &&
	t_pass "renew: current -> gen-2, gen-1 kept" ||
	t_fail "renew: current -> gen-2, gen-1 kept" "$(ls -A "$DIR/.certferry" | tr '\n' ' ')"
kill -HUP "$NG_PID"
cf_wait_for 10 "$NG_PID" serves "$s2" && t_pass "nginx reload serves the new certificate" ||
	t_fail "nginx reload serves the new certificate" "$(served_serial) vs $s2"

# the old layout (four regular files, no .certferry): the next renewal
# moves it over
for f in privkey.pem cert.pem chain.pem fullchain.pem; do
	cp --remove-destination "$(readlink -f "$DIR/$f")" "$DIR/$f.old" &&
		mv -f "$DIR/$f.old" "$DIR/$f"
done
rm -rf "$DIR/.certferry"
[ -f "$DIR/cert.pem" ] && [ ! -L "$DIR/cert.pem" ] && cert_key_matches "$DIR/cert.pem" "$DIR/privkey.pem" &&
	t_pass "old layout set up (regular files)" || t_fail "old layout set up (regular files)"
t_check "renew --force over the old layout" cf_run renew --force
s3=$(serial_of "$DIR/cert.pem")
[ -n "$s3" ] && [ "$s3" != "$s2" ] && t_pass "migration: cert.pem is the new certificate" ||
	t_fail "migration: cert.pem is the new certificate" "$s2 -> $s3"
layout_ok "migration"
g1=$(serial_of "$DIR/.certferry/gen-1/cert.pem")
[ "$g1" = "$s2" ] && t_pass "migration: the old pair kept as gen-1" ||
	t_fail "migration: the old pair kept as gen-1" "$g1"
kill -HUP "$NG_PID"
cf_wait_for 10 "$NG_PID" serves "$s3" && t_pass "nginx reload after the migration serves the new certificate" ||
	t_fail "nginx reload after the migration serves the new certificate" "$(served_serial) vs $s3"
t_done
