#!/usr/bin/env bash
# iis check --connect: the handshake verification for IIS hosts this
# machine reaches.  A TLS server on a loopback port (nginx, standing in
# for IIS) serves the certificate of a CCS binding's PFX: ok; then another
# certificate: drifted, exit 1.  Each host name is sent as SNI, the port
# is the binding's.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
skip_unless_cmd openssl nginx
H=x.iis.test
PORT=$(cf_freeports 1) || exit 1
W="$CF_TMP/w"
mkdir -p "$W/ccs" "$W/tmp"
mk() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$W/$1.key" -out "$W/$1.crt" -days 90 -subj "/CN=$H" \
		-addext "subjectAltName=DNS:$H" 2>/dev/null
}
mk good; mk other
printf 'ccs-pass\n' >"$W/pw"
chmod 600 "$W/pw"
openssl pkcs12 -export -inkey "$W/good.key" -in "$W/good.crt" -out "$W/ccs/$H.pfx" \
	-passout pass:ccs-pass 2>/dev/null
cat >"$W/applicationHost.config" <<X
<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="web" id="1">
        <bindings>
          <binding protocol="https" bindingInformation="*:$PORT:$H" sslFlags="3" />
        </bindings>
      </site>
    </sites>
  </system.applicationHost>
</configuration>
X
conf() {
	cat >"$W/nginx.conf" <<CONF
user root root;
worker_processes 1;
pid $W/nginx.pid;
error_log $W/error.log warn;
events { worker_connections 16; }
http {
	access_log off;
	client_body_temp_path $W/tmp/body;
	proxy_temp_path $W/tmp/proxy;
	fastcgi_temp_path $W/tmp/fastcgi;
	uwsgi_temp_path $W/tmp/uwsgi;
	scgi_temp_path $W/tmp/scgi;
	server {
		listen 127.0.0.1:$PORT ssl;
		server_name $H;
		ssl_certificate $W/$1.crt;
		ssl_certificate_key $W/$1.key;
	}
}
CONF
}
conf good
cf_spawn "$W/stdout.log" nginx -e "$W/error.log" -c "$W/nginx.conf" -g "daemon off;"
NG_PID=$CF_LAST_PID
up() { openssl s_client -connect "127.0.0.1:$PORT" -servername $H </dev/null >/dev/null 2>&1; }
cf_wait_for 10 "$NG_PID" up || { t_fail "the stand-in server starts" "$(cat "$W/error.log")"; t_done; }
CHECK=(iis check --config "$W/applicationHost.config" --ccs-dir "$W/ccs" --pfx-password-file "$W/pw" --connect 127.0.0.1)
t_run "$CF" "${CHECK[@]}"
[ "$T_RC" -eq 0 ] && grep -q "ok .*127.0.0.1 port $PORT, $H: serves serial" "$T_OUT" &&
	t_pass "iis check --connect: the host serves its PFX's certificate (port from the binding)" ||
	t_fail "iis check --connect: serves its PFX's certificate" "status $T_RC: $(cat "$T_OUT" "$T_ERR")"
conf other
kill -HUP "$NG_PID"
served_other() {
	[ "$(openssl s_client -connect "127.0.0.1:$PORT" -servername $H </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint)" = "$(openssl x509 -in "$W/other.crt" -noout -fingerprint)" ]
}
cf_wait_for 10 "$NG_PID" served_other
t_run "$CF" "${CHECK[@]}"
[ "$T_RC" -eq 1 ] && grep -q "drifted .*$H: serves serial .*, not " "$T_OUT" &&
	t_pass "iis check --connect: another certificate served is drifted, exit 1" ||
	t_fail "iis check --connect: another certificate served is drifted" "status $T_RC: $(cat "$T_OUT" "$T_ERR")"
t_done
