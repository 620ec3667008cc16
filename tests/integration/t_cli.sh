#!/usr/bin/env bash
# certferry's command line without a server: --help, --version, usage errors.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_cf

t_check "--help exits 0" "$CF" --help
if [ -s "$T_OUT" ] && grep -q 'issue' "$T_OUT"; then
	t_pass "--help prints usage on stdout (mentions issue)"
else
	t_fail "--help prints usage on stdout (mentions issue)"
	t_show_output "$CF" --help
fi

t_check "--version exits 0" "$CF" --version
version=$(cat "$CF_ROOT/VERSION")
if grep -qF "$version" "$T_OUT"; then
	t_pass "--version prints $version"
else
	t_fail "--version prints $version" "stdout: $(head -c 200 "$T_OUT")"
fi

# An unknown key type is a usage error, found before any network use
# (the server URL points at a closed port).
t_expect_rc "--key-type bogus fails (exit 2)" 2 "$CF" --state-dir "$STATE" \
	--server "https://127.0.0.1:1/dir" issue -d bogus.example.test \
	--key-type bogus --http-port 1
if head -n 1 "$T_ERR" | grep -q '^error:'; then
	t_pass "--key-type bogus: stderr starts with error:"
else
	t_fail "--key-type bogus: stderr starts with error:" "stderr: $(head -c 300 "$T_ERR")"
fi
missing=
for kt in ec256 ec384 rsa2048 rsa3072 rsa4096; do
	grep -q "$kt" "$T_ERR" || missing="$missing $kt"
done
if [ -z "$missing" ]; then
	t_pass "--key-type bogus: error lists the valid types"
else
	t_fail "--key-type bogus: error lists the valid types" "not listed:$missing"
fi

t_expect_rc "unknown subcommand fails (exit 2)" 2 "$CF" --state-dir "$STATE" no-such-command

# A secret file others can read: a warning (not an error), which -q
# ("errors only") silences.  Found before any network use: the export
# file named does not exist (exit 2).
loose="$STATE/loose-passphrase"
mkdir -p "$STATE" && chmod 700 "$STATE"
printf 'secret\n' >"$loose" && chmod 644 "$loose"
t_run "$CF" --state-dir "$STATE" account import "$STATE/no-such-export" \
	--passphrase-file "$loose"
if [ "$T_RC" -eq 2 ] && grep -q "^warning: $loose is readable by others" "$T_ERR"; then
	t_pass "a loose secret file is warned about"
else
	t_fail "a loose secret file is warned about" "status $T_RC, stderr: $(head -c 300 "$T_ERR")"
fi
t_run "$CF" -q --state-dir "$STATE" account import "$STATE/no-such-export" \
	--passphrase-file "$loose"
if [ "$T_RC" -eq 2 ] && ! grep -q "readable by others" "$T_ERR"; then
	t_pass "-q silences the loose secret file warning"
else
	t_fail "-q silences the loose secret file warning" "status $T_RC, stderr: $(head -c 300 "$T_ERR")"
fi

t_done
