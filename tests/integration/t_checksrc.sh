#!/usr/bin/env bash
# scripts/checksrc (the style checker of make check) can fail: each rule is
# reported on a file that breaks it, and a file that keeps every rule
# passes.  The run over the tree itself is tests/run.sh's "checksrc" line.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
skip_unless_cmd python3
CHECK="$CF_ROOT/scripts/checksrc"
D="$CF_TMP/checksrc"
mkdir -p "$D"

# expect_rule LABEL RULE FILE: checksrc fails on FILE and names RULE.
expect_rule() {
	t_expect_rc "$1: checksrc fails" 1 "$CHECK" "$3"
	if grep -q "^[^:]*:[0-9]*: $2: " "$T_OUT"; then
		t_pass "$1: reported as $2"
	else
		t_fail "$1: reported as $2" "$(head -c 300 "$T_OUT")"
	fi
}

cat >"$D/good.c" <<'EOF'
/* good.c - keeps every rule. */
static int
f(int a, int b)
{
	if (a > 0 &&
	    b > 0)
		return g(a, b,
			 a + b);
	return h(
		a, b);
}
EOF
t_expect_rc "a file that keeps every rule passes" 0 "$CHECK" "$D/good.c"

printf 'static int\nf(void)\n{\n        return 0;\n}\n' >"$D/spaces.c"
expect_rule "8 spaces of indent" indent "$D/spaces.c"
printf 'static int\nf(void)\n{\n\treturn 0; \n}\n' >"$D/trailing.c"
expect_rule "trailing blank" trailing "$D/trailing.c"
printf 'static int x = %s;\n' "$(printf '1 + %.0s' $(seq 1 30))1" >"$D/long.c"
expect_rule "a line over 100 columns" length "$D/long.c"
printf 'static int\nf(void)\n{\n\treturn g(1,\n\t    2);\n}\n' >"$D/cont.c"
expect_rule "an argument list 4 spaces deeper" continue "$D/cont.c"
{
	printf 'static int\nlong_one(void)\n{\n'
	for i in $(seq 1 81); do printf '\tx(%d);\n' "$i"; done
	printf '}\n'
} >"$D/func.c"
expect_rule "a function of 81 lines" function "$D/func.c"
printf '/* x.h - Owns: x. */\n#ifndef X_H\n#define X_H\nint x(void);\n#endif\nint y(void);\n' >"$D/after.h"
expect_rule "a declaration after #endif" guard "$D/after.h"
printf '/* y.h - a header that says nothing about itself. */\n#ifndef Y_H\n#define Y_H\n#endif\n' >"$D/owns.h"
expect_rule "a header without Owns" owns "$D/owns.h"
t_done
