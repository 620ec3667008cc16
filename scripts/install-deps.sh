#!/usr/bin/env bash
# Install the Debian 12 packages that building and testing certferry needs.
#
# Idempotent: asks dpkg-query which packages are installed and only runs
# apt-get (update + install) when something is missing, so a run on a ready
# machine takes a few milliseconds.  Needs root only when it must install.
set -euo pipefail

# Each entry: package, then why the project needs it.
PACKAGES=(
	gcc                  # the C compiler (make's $(CC) = cc)
	make                 # the build
	pkg-config           # the Makefile finds library flags with it
	libc6-dev            # C headers and crt files
	libssl-dev           # OpenSSL 3: keys, JWS, CSR, X.509, TLS
	libcurl4-openssl-dev # HTTP client for ACME and the proxy installers
	libjansson-dev       # all JSON, both directions
	libxml2-dev          # IIS applicationHost.config parsing
	libldns-dev          # DNS: dns-01 propagation checks and RFC 2136 updates
	libidn2-dev          # IDNA names (U-labels to A-labels)
	libseccomp-dev       # the network process's system call filter (src/sep/sandbox.c)
	libinih-dev          # the settings file certferry.conf (INI, src/cli/settings.c):
	                     # a small, well-kept parser instead of a hand-written one
	libcmocka-dev        # unit tests (tests/unit/test_*.c)
	openssl              # test harness: throwaway CA, cert/key checks, random EAB keys
	ca-certificates      # system trust store used by libcurl by default
	pebble               # test ACME server (pebble + pebble-challtestsrv)
	knot                 # authoritative DNS server for dns-01 / RFC 2136 tests
	knot-dnsutils        # kdig/knsupdate for DNS test set-up and checks
	unbound              # recursive resolver in front of knot: Pebble must follow
	                     # the _acme-challenge CNAME into another zone
	nginx-light          # real web server for webroot and nginx installer tests
	apache2              # real Apache for the --install apache tests (t_install_apache.sh):
	                     # its config test, graceful reload and TLS handshakes
	python3              # scripts/checksrc, the style checker of make check
	python3-aiosmtpd     # a real SMTP server (STARTTLS, Maildir) for the e-mail
	                     # notification tests (t_notify.sh); pulls in python3
	curl                 # test harness: waits for Pebble, fetches its root
	jq                   # test harness: reads JSON state and Pebble answers
	procps               # ps: tests check that secrets never show on argv
	time                 # /usr/bin/time -v for scripts/bench.sh (wall time, max RSS)
)

# dpkg-query prints "ii " for an installed package; anything else (or an
# unknown package, for which it prints nothing) counts as missing.
missing=()
status=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
for p in "${PACKAGES[@]}"; do
	if ! grep -qx "$p ii " <<<"$status"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "error: missing packages: ${missing[*]}" >&2
	echo "error: run as root (or with sudo):" >&2
	echo "  $cmd" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
