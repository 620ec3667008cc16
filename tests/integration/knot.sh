# shellcheck shell=bash
# Sourced after lib.sh by the tests that need a real authoritative DNS
# server: starts Knot DNS (Debian package knot) on a free loopback port.
#
#   knot_start              start knotd serving example.test and
#                           validation.test, TSIG-signed updates allowed;
#                           sets KNOT_PORT, KNOT_SERVER (127.0.0.1:PORT),
#                           KNOT_DIR, KNOT_KEY (BIND-format key file, 0600),
#                           KNOT_WRONG_KEY (same name, other secret),
#                           KNOT_SECRET, KNOT_WRONG_SECRET, KNOT_PID
#   knot_txt NAME           the TXT strings served for NAME, one a line;
#                           fails (status 2, reason on stderr) when the
#                           lookup itself fails: no answer, or a status
#                           other than NOERROR/NXDOMAIN
#   knot_no_txt NAME        0: the lookup worked and NAME has no TXT;
#                           1: TXT served (printed); 2: the lookup failed
#   knot_serial ZONE        the zone's SOA serial (every accepted update
#                           raises it); fails when the lookup fails
#
#   unbound_start           a recursive resolver in front of knot (below)
#
# Zone content: example.test has a static TXT record
# _acme-challenge.present.example.test "always-here" (the tests prove with
# it that their "no TXT left" check sees a record that is there),
# _acme-challenge.sub CNAME into validation.test (delegation), a CNAME
# loop (loop1/loop2) and a 3-hop chain (chain -> c1 -> c2 ->
# validation.test).  knotd is stopped by PID by lib.sh's cleanup.

knot_start() {
	local d="$CF_TMP/knot"
	mkdir -p "$d/run" "$d/db" "$d/zones"
	KNOT_PORT=$(cf_freeports 1) || return 1
	KNOT_SERVER="127.0.0.1:$KNOT_PORT"
	KNOT_DIR=$d
	KNOT_SECRET=$(openssl rand -base64 32)
	KNOT_WRONG_SECRET=$(openssl rand -base64 32)
	cat >"$d/knot.conf" <<EOC
server:
    rundir: "$d/run"
    listen: 127.0.0.1@$KNOT_PORT
database:
    storage: "$d/db"
log:
  - target: stderr
    any: warning
key:
  - id: certferry-test.
    algorithm: hmac-sha256
    secret: $KNOT_SECRET
acl:
  - id: upd
    key: certferry-test.
    action: update
template:
  - id: default
    storage: "$d/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: example.test
    acl: upd
  - domain: validation.test
    acl: upd
EOC
	cat >"$d/zones/example.test.zone" <<'EOZ'
$ORIGIN example.test.
$TTL 60
@ SOA ns.example.test. admin.example.test. 1 3600 600 86400 60
@ NS ns.example.test.
ns A 127.0.0.1
@ A 127.0.0.1
* A 127.0.0.1
_acme-challenge.sub CNAME _acme-challenge.sub.validation.test.
_acme-challenge.loop1 CNAME _acme-challenge.loop2.example.test.
_acme-challenge.loop2 CNAME _acme-challenge.loop1.example.test.
_acme-challenge.chain CNAME c1.example.test.
c1 CNAME c2.example.test.
c2 CNAME _acme-challenge.chain.validation.test.
_acme-challenge.present TXT "always-here"
EOZ
	cat >"$d/zones/validation.test.zone" <<'EOZ'
$ORIGIN validation.test.
$TTL 60
@ SOA ns.validation.test. admin.validation.test. 1 3600 600 86400 60
@ NS ns.validation.test.
ns A 127.0.0.1
EOZ
	KNOT_KEY="$d/good.key"
	KNOT_WRONG_KEY="$d/wrong.key"
	(umask 077
	printf 'key "certferry-test" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
		"$KNOT_SECRET" >"$KNOT_KEY"
	printf 'key "certferry-test" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
		"$KNOT_WRONG_SECRET" >"$KNOT_WRONG_KEY")
	cf_spawn "$d/knotd.log" knotd -c "$d/knot.conf"
	KNOT_PID=$CF_LAST_PID
	if ! cf_wait_for 10 "$KNOT_PID" sh -c \
		"kdig @127.0.0.1 -p $KNOT_PORT +short +time=1 +retry=0 SOA example.test | grep -q ns.example.test"; then
		echo "error: knotd did not come up on $KNOT_SERVER; its log:" >&2
		tail -n 5 "$d/knotd.log" >&2
		return 1
	fi
	export KNOT_PORT KNOT_SERVER KNOT_DIR KNOT_KEY KNOT_WRONG_KEY KNOT_PID
}

# knot_query TYPE NAME: the answer section's rdata of TYPE, one a line;
# status 2 with the reason on stderr when kdig fails or the server answers
# anything but NOERROR/NXDOMAIN (an empty answer then means "none").
knot_query() {
	local out
	if ! out=$(kdig @127.0.0.1 -p "$KNOT_PORT" +time=2 +retry=1 \
		+noall +header +answer "$1" "$2" 2>&1); then
		echo "knot_query: kdig $1 $2 on port $KNOT_PORT failed: $out" >&2
		return 2
	fi
	if ! grep -qE 'status: (NOERROR|NXDOMAIN)' <<<"$out"; then
		echo "knot_query: no NOERROR/NXDOMAIN answer for $1 $2: $out" >&2
		return 2
	fi
	awk -v t="$1" '$1 !~ /^;/ && $4 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' \
		<<<"$out"
}

knot_txt() {
	local out
	out=$(knot_query TXT "$1") || return 2
	[ -z "$out" ] || tr -d '"' <<<"$out"
}

knot_no_txt() {
	local out
	out=$(knot_txt "$1") || return 2
	if [ -n "$out" ]; then
		echo "$out"
		return 1
	fi
	return 0
}

knot_serial() {
	local out
	out=$(knot_query SOA "$1") || return 2
	[ -n "$out" ] || { echo "knot_serial: no SOA for $1" >&2; return 2; }
	awk '{ print $3; exit }' <<<"$out"
}

# unbound_start: a recursive resolver (Debian package unbound) in front of
# knot, as a CA's validation servers are: it follows the CNAME from
# example.test into validation.test, which an authoritative server does not
# do across zones.  Sets UNBOUND_SERVER (127.0.0.1:PORT).  Caching is off so
# that every question reaches knot.
unbound_start() {
	local d="$CF_TMP/unbound" port
	mkdir -p "$d"
	port=$(cf_freeports 1) || return 1
	cat >"$d/unbound.conf" <<EOC
server:
    interface: 127.0.0.1
    port: $port
    do-ip6: no
    do-daemonize: no
    use-syslog: no
    logfile: ""
    chroot: ""
    username: ""
    directory: "$d"
    pidfile: "$d/unbound.pid"
    module-config: "iterator"
    do-not-query-localhost: no
    cache-max-ttl: 0
    cache-max-negative-ttl: 0
    access-control: 127.0.0.0/8 allow
    local-zone: "test." nodefault
    domain-insecure: "test."
remote-control:
    control-enable: no
stub-zone:
    name: "example.test"
    stub-addr: 127.0.0.1@$KNOT_PORT
stub-zone:
    name: "validation.test"
    stub-addr: 127.0.0.1@$KNOT_PORT
EOC
	cf_spawn "$d/unbound.log" unbound -d -c "$d/unbound.conf"
	UNBOUND_PID=$CF_LAST_PID
	if ! cf_wait_for 10 "$UNBOUND_PID" sh -c \
		"kdig @127.0.0.1 -p $port +short +time=1 +retry=0 SOA example.test | grep -q ns.example.test"; then
		echo "error: unbound did not come up on 127.0.0.1:$port; its log:" >&2
		tail -n 5 "$d/unbound.log" >&2
		return 1
	fi
	UNBOUND_SERVER="127.0.0.1:$port"
	export UNBOUND_SERVER UNBOUND_PID
}
