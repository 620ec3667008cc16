#!/usr/bin/env bash
# Runs every test and ends with exactly one line "N passed, N failed".
#
#   tests/run.sh [PATTERN]     (BUILD=build by default)
#
# 1. Each unit binary $BUILD/tests/test_* (cmocka): one result per test case,
#    from cmocka's "[       OK ]" and "[  FAILED  ]"/"[  ERROR   ]" lines.
#    A binary that crashes or exits non-zero without a FAILED line counts as
#    one failure named after the binary.
# 2. Each tests/integration/t_*.sh, in order, under `timeout 600`: its
#    "ok - ", "not ok - " and "skip - " lines.  A script that exits non-zero
#    without a "not ok" line counts as one failure.
# 3. Each fuzz target's replay binary $BUILD/fuzz/replay_fuzz_* (built by
#    build-tests with the normal cc, tests/fuzz/replay.c): the checked-in
#    corpus tests/fuzz/corpus/<target>/ and past crashes
#    tests/fuzz/crashes/<target>/ are fed to it; one result per target.
# 4. scripts/checksrc, the style checker (docs/CONTRIBUTING.md): one result
#    named "checksrc"; scripts/checkdeps, which way the modules may depend
#    (docs/ARCHITECTURE.md): one result named "checkdeps".
# PATTERN, when given, keeps only binaries/scripts whose name contains it.
# The output of every failing binary or script is shown.  Exit 1 if anything
# failed (or nothing ran).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
PATTERN=${1:-}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-600}

passed=0
failed=0
skipped=0
skip_lines=()
fail_names=()
ran=0
out=$(mktemp "${TMPDIR:-/tmp}/certferry-run.XXXXXX")
trap 'rm -f "$out"' EXIT

matches() {
	[ -z "$PATTERN" ] || [[ "$1" == *"$PATTERN"* ]]
}

show_output() {
	echo "# ---- output of $1 ----"
	sed 's/^/# /' "$out"
	echo "# ---- end of $1 ----"
}

describe_status() {
	local rc=$1 limit=$2
	if [ "$rc" -eq 124 ]; then
		echo "timed out after ${limit}s"
	elif [ "$rc" -gt 128 ]; then
		echo "killed by signal $(kill -l "$((rc - 128))" 2>/dev/null || echo "$((rc - 128))")"
	else
		echo "exited with status $rc"
	fi
}

record_fail() {
	failed=$((failed + 1))
	fail_names+=("$1")
}

# ---- unit tests ----
for bin in "$BUILD"/tests/test_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	name=$(basename "$bin")
	matches "$name" || continue
	ran=$((ran + 1))
	# The braces catch bash's own "Segmentation fault" report in $out.
	{ timeout "$UNIT_TIMEOUT" "$bin" >"$out" 2>&1 </dev/null; } 2>>"$out"
	rc=$?
	n_ok=0
	n_fail=0
	while IFS= read -r tc; do
		echo "ok - $name: $tc"
		n_ok=$((n_ok + 1))
	done < <(sed -n 's/^\[       OK \] //p' "$out")
	# cmocka repeats FAILED names in its summary: count each name once.
	while IFS= read -r tc; do
		[ -n "$tc" ] || continue
		echo "not ok - $name: $tc"
		record_fail "$name: $tc"
		n_fail=$((n_fail + 1))
	done < <({
		sed -n 's/^\[  FAILED  \] //p' "$out" | grep -Ev '^[0-9]+ test\(s\)'
		sed -n 's/^\[  ERROR   \] //p' "$out" | grep -v '^---'
	} | sort -u)
	passed=$((passed + n_ok))
	if [ "$rc" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
		why=$(describe_status "$rc" "$UNIT_TIMEOUT")
		echo "not ok - $name: $why"
		record_fail "$name"
		n_fail=1
	fi
	if [ "$n_fail" -gt 0 ]; then
		show_output "$name"
	fi
done

# ---- integration tests ----
for script in tests/integration/t_*.sh; do
	[ -f "$script" ] || continue
	name=$(basename "$script")
	matches "$name" || continue
	ran=$((ran + 1))
	echo "# $name"
	{ timeout "$INTEGRATION_TIMEOUT" bash "$script" >"$out" 2>&1 </dev/null; } 2>>"$out"
	rc=$?
	n_fail=0
	while IFS= read -r line; do
		case "$line" in
		"ok - "*)
			echo "$line"
			passed=$((passed + 1))
			;;
		"not ok - "*)
			echo "$line"
			record_fail "$name: ${line#not ok - }"
			n_fail=$((n_fail + 1))
			;;
		"skip - "*)
			echo "$line"
			skipped=$((skipped + 1))
			skip_lines+=("$name: ${line#skip - }")
			;;
		esac
	done <"$out"
	if [ "$rc" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
		why=$(describe_status "$rc" "$INTEGRATION_TIMEOUT")
		echo "not ok - $name: $why"
		record_fail "$name"
		n_fail=1
	fi
	if [ "$n_fail" -gt 0 ]; then
		show_output "$name"
	fi
done

# ---- fuzz targets: replay the corpus and every past crash ----
for bin in "$BUILD"/fuzz/replay_fuzz_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	target=${bin##*/replay_}
	short=${target#fuzz_}
	matches "$target" || continue
	ran=$((ran + 1))
	dirs=()
	for d in "tests/fuzz/corpus/$short" "tests/fuzz/crashes/$short"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	if [ ${#dirs[@]} -eq 0 ]; then
		echo "skip - $target: no tests/fuzz/corpus/$short or crashes/$short to replay"
		skipped=$((skipped + 1))
		skip_lines+=("$target: no corpus to replay")
		continue
	fi
	{ timeout "$UNIT_TIMEOUT" "$bin" "${dirs[@]}" >"$out" 2>&1 </dev/null; } 2>>"$out"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok - $target: replayed $(sed -n 's/^\([0-9]*\) inputs$/\1/p' "$out") inputs (corpus and past crashes)"
		passed=$((passed + 1))
	else
		why=$(describe_status "$rc" "$UNIT_TIMEOUT")
		last=$(sed -n 's/^replay: //p' "$out" | tail -1)
		echo "not ok - $target: $why on ${last:-?}"
		record_fail "$target"
		show_output "$target"
	fi
done

# ---- style: scripts/checksrc over src/ and tests/unit/ (one result) ----
if matches checksrc; then
	ran=$((ran + 1))
	if ! command -v python3 >/dev/null 2>&1; then
		echo "skip - checksrc: needs python3 (scripts/install-deps.sh)"
		skipped=$((skipped + 1))
		skip_lines+=("checksrc: needs python3")
	elif scripts/checksrc >"$out" 2>&1; then
		echo "ok - checksrc: $(tail -n 1 "$out" | sed 's/^checksrc: //')"
		passed=$((passed + 1))
		# notes: debt-list lines that are no longer needed
		grep '^checksrc: note:' "$out" | sed 's/^/# /'
	else
		echo "not ok - checksrc: $(tail -n 1 "$out" | sed 's/^checksrc: //')"
		record_fail "checksrc"
		show_output "checksrc"
	fi
fi

# ---- boundaries: scripts/checkdeps over src/ (one result) ----
if matches checkdeps; then
	ran=$((ran + 1))
	if scripts/checkdeps >"$out" 2>&1; then
		echo "ok - checkdeps: $(tail -n 1 "$out" | sed 's/^checkdeps: //')"
		passed=$((passed + 1))
	else
		echo "not ok - checkdeps: $(tail -n 1 "$out" | sed 's/^checkdeps: //')"
		record_fail "checkdeps"
		show_output "checkdeps"
	fi
fi

if [ "$ran" -eq 0 ]; then
	echo "not ok - tests/run.sh: no test binary or script matched${PATTERN:+ \"$PATTERN\"} (BUILD=$BUILD)"
	record_fail "no tests"
fi

echo
if [ "$skipped" -gt 0 ]; then
	echo "$skipped skipped:"
	for s in "${skip_lines[@]}"; do
		echo "  $s"
	done
fi
if [ "$failed" -gt 0 ]; then
	echo "failures:"
	for f in "${fail_names[@]}"; do
		echo "  $f"
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
