#!/usr/bin/env bash
# Pebble rejects half of the good nonces (PEBBLE_WFE_NONCEREJECT=50): the
# client must retry on badNonce with the fresh nonce and still succeed.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf
t_pebble_start PEBBLE_WFE_NONCEREJECT=50
export CERTFERRY_EAB_KID=$EAB_KID CERTFERRY_EAB_HMAC_KEY=$EAB_HMAC

t_check "issue with 50% nonces rejected" cf_run issue -d nonce.example.test \
	-d www.nonce.example.test --agree-tos --http-port "$HTTP01_PORT" --http-address 127.0.0.1
check_issued "badNonce" nonce.example.test nonce.example.test www.nonce.example.test
t_done
