#!/usr/bin/env bash
# http-01 answered by IIS (--iis-webroot): each token goes under the
# physicalPath of the site serving its name, mapped to a local folder by
# --iis-path-map, with a web.config next to it.  A real nginx stands in
# for IIS: it serves <mount>/<site folder> by Host header and answers a
# challenge only while that folder's web.config is there, so a 200 in its
# log proves the web.config was present during validation.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
skip_unless_cmd nginx jq
require_cf
t_pebble_start

FIX="$(cd "$(dirname "$0")/../fixtures/iis" && pwd)"
CONFIG="$CF_TMP/applicationHost.config"
cp "$FIX/applicationHost-webroot.config" "$CONFIG"
INETPUB="$CF_TMP/inetpub"                 # C:\inetpub on the "server"
DWEB="$CF_TMP/dweb"                       # D:\Web
SHOP="$INETPUB/sites/shop.example.test"   # site 3
BLOG="$DWEB/Blog"                         # site 7
mkdir -p "$SHOP" "$BLOG/.well-known/acme-challenge" "$CF_TMP/byhost"
echo "<configuration><!-- the blog's own --></configuration>" \
	>"$BLOG/.well-known/acme-challenge/web.config"
cp "$BLOG/.well-known/acme-challenge/web.config" "$CF_TMP/blog-web.config.orig"
ln -s "$SHOP" "$CF_TMP/byhost/shop.example.test"
ln -s "$SHOP" "$CF_TMP/byhost/www.shop.example.test"
ln -s "$BLOG" "$CF_TMP/byhost/blog.example.test"
orders() { pebble_count_requests /order-plz; }

# shellcheck disable=SC2016 # nginx variables
extra='location /.well-known/acme-challenge/ {
		if (!-f $document_root/.well-known/acme-challenge/web.config) { return 403; }
		try_files $uri =404;
	}'
# shellcheck disable=SC2016
if ! nginx_start "$CF_TMP/byhost/\$host" "$HTTP01_PORT" "$extra" \
	>"$CF_TMP/nginx_start.err" 2>&1; then
	t_fail "nginx start"
	t_tail "$CF_TMP/nginx_start.err"
	t_done
fi

MAPS=(--iis-path-map 'C:\inetpub='"$INETPUB" --iis-path-map 'D:\Web='"$DWEB")
ACCT=(--agree-tos --eab-kid "$EAB_KID" --eab-hmac-key-file "$EAB_HMAC_FILE")

# ---- dry run names each name's site and folder ----
t_run cf_run issue --dry-run --name iisweb -d shop.example.test \
	-d www.shop.example.test -d blog.example.test --validation http-01 \
	--iis-webroot --iis-config "$CONFIG" "${MAPS[@]}"
if [ "$T_RC" = 0 ] && grep -q "blog.example.test .*IIS site 7 'Blog': $BLOG/.well-known/acme-challenge/" "$T_OUT" &&
	grep -q "www.shop.example.test .*IIS site 3 'Shop': $SHOP/" "$T_OUT"; then
	t_pass "dry run shows the site and folder of each name"
else
	t_fail "dry run shows the site and folder of each name" "rc $T_RC"
	t_show_output
fi

# ---- a certificate for names of two sites ----
t_check "issue through IIS webroots of two sites" cf_run issue --name iisweb \
	-d shop.example.test -d www.shop.example.test -d blog.example.test \
	--validation http-01 --iis-webroot --iis-config "$CONFIG" "${MAPS[@]}" \
	"${ACCT[@]}"
check_issued "iis-webroot" iisweb shop.example.test www.shop.example.test blog.example.test

# nginx's root is byhost/$host: a 200 means the token was in the folder of
# the site serving that host (and the web.config next to it).
hits=$(grep -c 'GET /.well-known/acme-challenge/[^ ]* HTTP/[0-9.]*" 200' "$NGINX_DIR/access.log" || true)
denied=$(grep -c 'GET /.well-known/acme-challenge/[^ ]* HTTP/[0-9.]*" 403' "$NGINX_DIR/access.log" || true)
if [ "${hits:-0}" -ge 3 ] && [ "${denied:-0}" -eq 0 ]; then
	t_pass "each challenge served with its web.config present ($hits hits)"
else
	t_fail "each challenge served with its web.config present" "$hits ok, $denied without web.config"
	t_tail "$NGINX_DIR/access.log"
fi
if [ ! -e "$SHOP/.well-known" ]; then
	t_pass "shop: token, web.config and the folders certferry made are gone"
else
	t_fail "shop: token, web.config and the folders certferry made are gone" \
		"$(find "$SHOP/.well-known" | tr '\n' ' ')"
fi
if cmp -s "$CF_TMP/blog-web.config.orig" "$BLOG/.well-known/acme-challenge/web.config" &&
	[ "$(find "$BLOG/.well-known/acme-challenge" -type f | wc -l)" -eq 1 ]; then
	t_pass "blog: its own web.config untouched, no token left"
else
	t_fail "blog: its own web.config untouched, no token left" \
		"$(find "$BLOG/.well-known" -type f | tr '\n' ' ')"
fi
R="$STATE/renewals/iisweb.json"
if jq -e --arg a 'C:\inetpub='"$INETPUB" --arg b 'D:\Web='"$DWEB" \
	'.spec.validation.iis_webroot.path_maps == [$a, $b] and (.spec.iis.config | startswith("/"))' \
	"$R" >/dev/null 2>&1; then
	t_pass "the mapping is recorded in the renewal definition"
else
	t_fail "the mapping is recorded in the renewal definition" "$(jq -c .spec "$R" 2>&1)"
fi

# ---- the renewal answers the same way ----
before=$(orders)
t_check "renew --force through the IIS webroots" cf_run renew --name iisweb --force
if [ "$(orders)" -gt "$before" ] && [ ! -e "$SHOP/.well-known" ]; then
	t_pass "renewal ordered and cleaned up"
else
	t_fail "renewal ordered and cleaned up"
fi

# ---- preflight: a missing mapped folder, nothing ordered ----
before=$(orders)
t_run cf_run issue --name iisweb2 -d blog.example.test --validation http-01 \
	--iis-webroot --iis-config "$CONFIG" --iis-path-map 'C:\inetpub='"$INETPUB" \
	--iis-path-map 'D:\Web='"$CF_TMP/not-mounted" "${ACCT[@]}"
if [ "$T_RC" = 2 ] && grep -q "^error: .*blog.example.test.*$CF_TMP/not-mounted/Blog.*not a folder" "$T_ERR" &&
	[ "$(orders)" = "$before" ]; then
	t_pass "a missing mapped folder: exit 2 naming it, no newOrder"
else
	t_fail "a missing mapped folder: exit 2 naming it, no newOrder" "rc $T_RC"
	t_show_output
fi
t_run cf_run issue --name iisweb2 -d blog.example.test --validation http-01 \
	--iis-webroot --iis-config "$CONFIG" --iis-path-map 'C:\inetpub='"$INETPUB" \
	"${ACCT[@]}"
if [ "$T_RC" = 2 ] && grep -q "^error: .*no --iis-path-map covers D:.Web.Blog" "$T_ERR" &&
	[ "$(orders)" = "$before" ]; then
	t_pass "a physicalPath no map covers: exit 2 naming it, no newOrder"
else
	t_fail "a physicalPath no map covers: exit 2 naming it, no newOrder" "rc $T_RC"
	t_show_output
fi

# ---- preflight: a read-only mapped folder ----
# shellcheck disable=SC2016 # $1, $d and $@ are the inner shell's
if unshare -m sh -c 'mount --bind -o ro "$1" "$1"' sh "$DWEB" 2>/dev/null; then
	# shellcheck disable=SC2016
	t_run unshare -m sh -c 'd=$1; shift; mount --bind -o ro "$d" "$d" && exec "$@"' \
		sh "$DWEB" "$CF" --state-dir "$STATE" --server "$PEBBLE_DIR_URL" \
		--ca-bundle "$PEBBLE_CA" issue --name iisweb2 -d blog.example.test \
		--validation http-01 --iis-webroot --iis-config "$CONFIG" "${MAPS[@]}" \
		"${ACCT[@]}"
	if [ "$T_RC" = 2 ] && grep -q "^error: .*$BLOG" "$T_ERR" &&
		[ "$(orders)" = "$before" ]; then
		t_pass "a read-only mapped folder: exit 2 naming it, no newOrder"
	else
		t_fail "a read-only mapped folder: exit 2 naming it, no newOrder" "rc $T_RC"
		t_show_output
	fi
else
	t_skip "read-only mapped folder" "unshare -m / mount --bind -o ro not permitted here"
fi
t_done
