#!/bin/bash
# t_dns01_knot.sh - dns-01 (rfc2136, delegation, alias, script hook) against
# a real Knot DNS server on 127.0.0.1, and the tls-alpn-01 responder.
#
# Needs: knotd, kdig, knsupdate (Debian: knot, knot-dnsutils), openssl,
# $BUILD/tools/dns01_tool.  Starts one knotd in a temporary directory and
# kills only that process (by PID).

set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/knot.sh
. "$(dirname "$0")/knot.sh"
TOOL="$BUILD/tools/dns01_tool"
# keep lib.sh's output format, and also remember the failure here
eval "lib_$(declare -f t_fail)"
t_fail() { FAILED=1; lib_t_fail "$@"; }
FAILED=0

skip_unless_cmd knotd kdig knsupdate openssl
if [ ! -x "$TOOL" ]; then
	t_skip dns01_knot "$TOOL not built (make $TOOL)"
	exit 0
fi

T="$CF_TMP/dns01"
mkdir -p "$T"
BG_PIDS=
stop_bg() {
	for p in $BG_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
cf_at_exit stop_bg

if ! knot_start; then
	t_fail knotd_start "knotd did not start"
	exit 1
fi
t_pass knotd_start
PORT=$KNOT_PORT
TLSPORT=$(cf_freeports 1)
WRONG=$KNOT_WRONG_SECRET
cp "$KNOT_KEY" "$T/good.key"
cp "$KNOT_WRONG_KEY" "$T/wrong.key"

txtval() {
	printf %s "$1" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '='
}
txt_at() { knot_txt "$1"; } # NAME -> the TXT strings served, one a line
has_txt() { txt_at "$1" | grep -qxF "$2"; }
# "no TXT" checks below use knot_no_txt: it must see a record that is there
knot_no_txt _acme-challenge.present.example.test >/dev/null 2>&1
t_rc_is "knot_no_txt: a TXT that is there is found" 1 $?

SRV="127.0.0.1:$PORT"

# --- 1: rfc2136 present, ready, cleanup ------------------------------------
KA1="tok1.thumbprint1"
V1=$(txtval "$KA1")
rm -f "$T/pause"; touch "$T/pause"
"$TOOL" cycle --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--name www.example.test --keyauth "$KA1" --timeout 10 \
	--pause-file "$T/pause" >"$T/out1" 2>"$T/err1" &
P=$!; BG_PIDS="$BG_PIDS $P"
for _ in $(seq 1 100); do grep -q READY "$T/out1" 2>/dev/null && break; kill -0 $P 2>/dev/null || break; sleep 0.1; done
if grep -q READY "$T/out1" && has_txt _acme-challenge.www.example.test "$V1"; then
	t_pass rfc2136_present
else
	t_fail rfc2136_present "TXT not served: $(cat "$T/err1")"
fi
# a second value at the same name (wildcard + base name) must coexist
KA2="tok2.thumbprint1"
V2=$(txtval "$KA2")
if "$TOOL" present --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--name www.example.test --wildcard --keyauth "$KA2" --timeout 10 >/dev/null 2>"$T/err2" &&
	has_txt _acme-challenge.www.example.test "$V2" && has_txt _acme-challenge.www.example.test "$V1"; then
	t_pass rfc2136_two_values
else
	t_fail rfc2136_two_values "$(cat "$T/err2")"
fi
rm -f "$T/pause"
wait $P; rc=$?
if [ $rc -eq 0 ] && ! has_txt _acme-challenge.www.example.test "$V1" &&
	has_txt _acme-challenge.www.example.test "$V2"; then
	t_pass rfc2136_cleanup_exact_rr
else
	t_fail rfc2136_cleanup_exact_rr "rc=$rc, served: $(txt_at _acme-challenge.www.example.test | tr '\n' ' ')"
fi
# cleanup from a fresh process (nothing remembered) removes the other one
"$TOOL" cleanup --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--name www.example.test --keyauth "$KA2" 2>"$T/err3"
if knot_no_txt _acme-challenge.www.example.test >/dev/null; then
	t_pass rfc2136_cleanup_stateless
else
	t_fail rfc2136_cleanup_stateless "still served: $(txt_at _acme-challenge.www.example.test) $(cat "$T/err3")"
fi

# --- 2: wrong TSIG key ------------------------------------------------------
if "$TOOL" present --dns rfc2136 --server "$SRV" --tsig-key-file "$T/wrong.key" \
	--name bad.example.test --keyauth "$KA1" --timeout 2 >/dev/null 2>"$T/err4"; then
	t_fail rfc2136_wrong_key "succeeded with a wrong key"
elif grep -q "refused the update" "$T/err4" && grep -q "TSIG key" "$T/err4" &&
	! grep -qF "$WRONG" "$T/err4" && knot_no_txt _acme-challenge.bad.example.test >/dev/null; then
	t_pass rfc2136_wrong_key
else
	t_fail rfc2136_wrong_key "unexpected error: $(cat "$T/err4")"
fi

# --- 3: CNAME delegation into validation.test -------------------------------
rm -f "$T/pause"; touch "$T/pause"
"$TOOL" cycle --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--name sub.example.test --keyauth "$KA1" --timeout 10 \
	--pause-file "$T/pause" >"$T/out5" 2>"$T/err5" &
P=$!; BG_PIDS="$BG_PIDS $P"
for _ in $(seq 1 100); do grep -q READY "$T/out5" 2>/dev/null && break; kill -0 $P 2>/dev/null || break; sleep 0.1; done
if grep -q READY "$T/out5" && has_txt _acme-challenge.sub.validation.test "$V1"; then
	t_pass rfc2136_cname_delegation
else
	t_fail rfc2136_cname_delegation "$(cat "$T/err5")"
fi
rm -f "$T/pause"; wait $P
if knot_no_txt _acme-challenge.sub.validation.test >/dev/null; then
	t_pass rfc2136_cname_cleanup
else
	t_fail rfc2136_cname_cleanup "still served"
fi
# a chain of three CNAMEs
if "$TOOL" present --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--name chain.example.test --keyauth "$KA1" --timeout 10 >/dev/null 2>"$T/err6" &&
	has_txt _acme-challenge.chain.validation.test "$V1"; then
	t_pass rfc2136_cname_chain
else
	t_fail rfc2136_cname_chain "$(cat "$T/err6")"
fi
"$TOOL" cleanup --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--name chain.example.test --keyauth "$KA1" 2>/dev/null
# a loop is an error
if "$TOOL" present --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--name loop1.example.test --keyauth "$KA1" >/dev/null 2>"$T/err7"; then
	t_fail rfc2136_cname_loop "succeeded"
elif grep -q "CNAME loop" "$T/err7"; then
	t_pass rfc2136_cname_loop
else
	t_fail rfc2136_cname_loop "$(cat "$T/err7")"
fi

# --- 4: --dns-alias ----------------------------------------------------------
if "$TOOL" present --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--alias validation.test --name other.example.test --keyauth "$KA2" --timeout 10 \
	>/dev/null 2>"$T/err8" && has_txt _acme-challenge.validation.test "$V2"; then
	t_pass rfc2136_alias
else
	t_fail rfc2136_alias "$(cat "$T/err8")"
fi
"$TOOL" cleanup --dns rfc2136 --server "$SRV" --tsig-key-file "$T/good.key" \
	--alias validation.test --name other.example.test --keyauth "$KA2" 2>/dev/null
if knot_no_txt _acme-challenge.validation.test >/dev/null; then
	t_pass rfc2136_alias_cleanup
else
	t_fail rfc2136_alias_cleanup "still served"
fi

# --- 5: propagation timeout names server and record --------------------------
cat >"$T/noop.sh" <<'EOS'
#!/bin/sh
exit 0
EOS
chmod +x "$T/noop.sh"
if "$TOOL" present --dns script --script "$T/noop.sh" --resolver "$SRV" \
	--name never.example.test --keyauth "$KA1" --timeout 1 >/dev/null 2>"$T/err9"; then
	t_fail propagation_timeout "succeeded without a record"
elif grep -qF "$SRV" "$T/err9" && grep -qF "_acme-challenge.never.example.test." "$T/err9"; then
	t_pass propagation_timeout
else
	t_fail propagation_timeout "$(cat "$T/err9")"
fi

# --- 6: script hook ---------------------------------------------------------
cat >"$T/hook.sh" <<EOS
#!/bin/sh
# record args and environment, then really update knot with knsupdate
{
	printf 'ARGS'; for a in "\$@"; do printf ' [%s]' "\$a"; done; echo
	echo "ENV \$CERTFERRY_DNS_ACTION \$CERTFERRY_DNS_RECORD \$CERTFERRY_DNS_VALUE \$CERTFERRY_DNS_IDENTIFIER"
} >>"$T/hook.log"
case "\$1" in create) op=add ;; delete) op=delete ;; *) exit 3 ;; esac
printf 'server 127.0.0.1 $PORT\nzone example.test.\nupdate %s %s 60 TXT "%s"\nsend\n' "\$op" "\$2" "\$3" |
	knsupdate -y "hmac-sha256:certferry-test.:$KNOT_SECRET" || exit 1
echo "hook done"
EOS
chmod 700 "$T/hook.sh"
rm -f "$T/pause"; touch "$T/pause"
"$TOOL" cycle --dns script --script "$T/hook.sh" --resolver "$SRV" \
	--name hook.example.test --keyauth "$KA1" --timeout 10 \
	--pause-file "$T/pause" >"$T/out10" 2>"$T/err10" &
P=$!; BG_PIDS="$BG_PIDS $P"
for _ in $(seq 1 100); do grep -q READY "$T/out10" 2>/dev/null && break; kill -0 $P 2>/dev/null || break; sleep 0.1; done
if grep -q READY "$T/out10" && has_txt _acme-challenge.hook.example.test "$V1" &&
	grep -qxF "ARGS [create] [_acme-challenge.hook.example.test.] [$V1]" "$T/hook.log" &&
	grep -qxF "ENV create _acme-challenge.hook.example.test. $V1 hook.example.test" "$T/hook.log"; then
	t_pass script_create
else
	t_fail script_create "$(cat "$T/err10" "$T/hook.log" 2>/dev/null)"
fi
rm -f "$T/pause"; wait $P
if grep -qxF "ARGS [delete] [_acme-challenge.hook.example.test.] [$V1]" "$T/hook.log" &&
	knot_no_txt _acme-challenge.hook.example.test >/dev/null; then
	t_pass script_delete
else
	t_fail script_delete "$(cat "$T/hook.log")"
fi
# a command with a space runs through sh -c, values stay separate arguments
: >"$T/hook.log"
if "$TOOL" present --dns script --script "env FOO=1 $T/hook.sh" --resolver "$SRV" \
	--name sp.example.test --keyauth "$KA2" --timeout 10 >/dev/null 2>"$T/err11" &&
	grep -qxF "ARGS [create] [_acme-challenge.sp.example.test.] [$V2]" "$T/hook.log"; then
	t_pass script_with_spaces
else
	t_fail script_with_spaces "$(cat "$T/err11" "$T/hook.log")"
fi
"$TOOL" cleanup --dns script --script "$T/hook.sh" --resolver "$SRV" \
	--name sp.example.test --keyauth "$KA2" 2>/dev/null
# a failing script is an error naming the exit status
printf '#!/bin/sh\necho oops >&2\nexit 7\n' >"$T/fail.sh"; chmod +x "$T/fail.sh"
if "$TOOL" present --dns script --script "$T/fail.sh" --resolver "$SRV" \
	--name f.example.test --keyauth "$KA2" >/dev/null 2>"$T/err12"; then
	t_fail script_failure "succeeded"
elif grep -q "exit status 7" "$T/err12"; then
	t_pass script_failure
else
	t_fail script_failure "$(cat "$T/err12")"
fi

# a hung script is killed with its process group after the timeout
printf '#!/bin/sh\nsleep 30 &\necho $! >"%s/child.pid"\nsleep 30\n' "$T" >"$T/hang.sh"; chmod +x "$T/hang.sh"
start=$(date +%s)
if "$TOOL" present --dns script --script "$T/hang.sh" --script-timeout 1 --resolver "$SRV" \
	--name h.example.test --keyauth "$KA2" >/dev/null 2>"$T/err15"; then
	t_fail script_timeout "succeeded"
else
	sleep 0.2
	end=$(date +%s)
	if grep -q "did not finish within 1 s" "$T/err15" && [ $((end - start)) -lt 10 ] &&
		case $(ps -o stat= -p "$(cat "$T/child.pid")" 2>/dev/null) in ""|Z*) true ;; *) false ;; esac; then
		# gone, or a zombie waiting for init to reap it
		t_pass script_timeout
	else
		t_fail script_timeout "$(cat "$T/err15"); took $((end - start)) s"
		kill "$(cat "$T/child.pid")" 2>/dev/null
	fi
fi

# --- 6b: manual mode ---------------------------------------------------------
# the "user" waits for the instructions, creates the record, presses Enter
MV=$(txtval "$KA2")
{
	for _ in $(seq 1 100); do grep -q "Press Enter" "$T/out13" 2>/dev/null && break; sleep 0.1; done
	rec=$(sed -n 's/^    \(_acme-challenge[^ ]*\) 60 IN TXT .*/\1/p' "$T/out13")
	printf 'server 127.0.0.1 %s\nzone example.test.\nupdate add %s 60 TXT "%s"\nsend\n' \
		"$PORT" "$rec" "$MV" | knsupdate -y "hmac-sha256:certferry-test.:$KNOT_SECRET"
	echo
} | "$TOOL" cycle --dns manual --resolver "$SRV" --name man.example.test \
	--keyauth "$KA2" --timeout 10 >"$T/out13" 2>"$T/err13"
if grep -qF "_acme-challenge.man.example.test. 60 IN TXT \"$MV\"" "$T/out13" &&
	grep -q READY "$T/out13" && grep -q "You may now remove" "$T/out13"; then
	t_pass manual_mode
else
	t_fail manual_mode "$(cat "$T/out13" "$T/err13")"
fi
if "$TOOL" present --dns manual --resolver "$SRV" --name man2.example.test \
	--keyauth "$KA2" </dev/null >/dev/null 2>"$T/err14"; then
	t_fail manual_eof "succeeded without confirmation"
elif grep -q "end of input" "$T/err14"; then
	t_pass manual_eof
else
	t_fail manual_eof "$(cat "$T/err14")"
fi

# --- 7: tls-alpn-01 ----------------------------------------------------------
KA3="tok3.thumbprint3"
rm -f "$T/pause"; touch "$T/pause"
"$TOOL" tlsalpn --port "$TLSPORT" --name alpn.example.test --keyauth "$KA3" \
	--pause-file "$T/pause" >"$T/out20" 2>"$T/err20" &
P=$!; BG_PIDS="$BG_PIDS $P"
for _ in $(seq 1 100); do grep -q READY "$T/out20" 2>/dev/null && break; kill -0 $P 2>/dev/null || break; sleep 0.1; done
openssl s_client -alpn acme-tls/1 -servername alpn.example.test \
	-connect "127.0.0.1:$TLSPORT" </dev/null >"$T/sc.out" 2>&1
openssl x509 -in "$T/sc.out" -noout -text >"$T/cert.txt" 2>&1
HASH=$(printf %s "$KA3" | openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')
DER=$(openssl x509 -in "$T/sc.out" -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n')
if grep -q "ALPN protocol: acme-tls/1" "$T/sc.out" &&
	grep -q "DNS:alpn.example.test" "$T/cert.txt" &&
	grep -q "1.3.6.1.5.5.7.1.31: critical" "$T/cert.txt" &&
	case $DER in *0422"04"20"$HASH"*) true ;; *) false ;; esac; then
	t_pass tlsalpn_certificate
else
	t_fail tlsalpn_certificate "$(grep -E 'ALPN|error' "$T/sc.out" | head -3)"
fi
if openssl s_client -alpn h2 -servername alpn.example.test \
	-connect "127.0.0.1:$TLSPORT" </dev/null 2>&1 | grep -q "BEGIN CERTIFICATE"; then
	t_fail tlsalpn_refuses_other_alpn "handshake completed for ALPN h2"
else
	t_pass tlsalpn_refuses_other_alpn
fi
if openssl s_client -alpn acme-tls/1 -servername other.example.test \
	-connect "127.0.0.1:$TLSPORT" </dev/null 2>&1 | grep -q "BEGIN CERTIFICATE"; then
	t_fail tlsalpn_refuses_unknown_sni "handshake completed for an unknown name"
else
	t_pass tlsalpn_refuses_unknown_sni
fi
# the port is busy now: a second responder must say so
if "$TOOL" tlsalpn --port "$TLSPORT" --name x.example.test --keyauth "$KA3" >/dev/null 2>"$T/err21"; then
	t_fail tlsalpn_port_in_use "second bind succeeded"
elif grep -q "port $TLSPORT is already in use" "$T/err21"; then
	t_pass tlsalpn_port_in_use
else
	t_fail tlsalpn_port_in_use "$(cat "$T/err21")"
fi
rm -f "$T/pause"; wait $P; rc=$?
if [ $rc -eq 0 ]; then t_pass tlsalpn_stop; else t_fail tlsalpn_stop "exit $rc: $(cat "$T/err20")"; fi

exit $FAILED
