#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and
# UBSan, and runs each for FUZZ_SECONDS (default 30) on one core.
#
#   scripts/fuzz.sh [TARGET...]      (make fuzz [FUZZ=fuzz_pem])
#
# Corpus: the checked-in seeds tests/fuzz/corpus/<target>/ and the past
# crashes tests/fuzz/crashes/<target>/ are read; new entries go to
# build/fuzz-clang/corpus/<target>/ and crashes to
# build/fuzz-clang/crashes/<target>/ (never into tests/fuzz/).  A crash
# found is kept as a regression input by copying it into
# tests/fuzz/crashes/<target>/ (docs/FUZZING.md).  Exit 1 when a target
# crashed, 2 when clang or libFuzzer is missing.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_CC=${FUZZ_CC:-clang}
FB=build/fuzz-clang

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "error: make fuzz needs clang with libFuzzer: install the Debian package clang (apt-get install clang)" >&2
	exit 2
fi
probe=$(mktemp -d "${TMPDIR:-/tmp}/certferry-fuzz.XXXXXX")
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" 2>"$probe/err"; then
	echo "error: $FUZZ_CC cannot link with -fsanitize=fuzzer,address,undefined (libFuzzer runtime missing: install the Debian package clang): $(head -1 "$probe/err")" >&2
	exit 2
fi

make --no-print-directory BUILD="$FB" CC="$FUZZ_CC" \
	CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	LDFLAGS="-fsanitize=address,undefined" fuzz-targets >"$probe/build.log" 2>&1 || {
	cat "$probe/build.log" >&2
	echo "error: building the fuzz targets failed" >&2
	exit 1
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in "${targets[@]}"; do
	t=${t%.c}
	t=fuzz_${t#fuzz_}
	bin=$FB/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "error: no fuzz target $t (tests/fuzz/$t.c)" >&2
		failed=1
		continue
	fi
	name=${t#fuzz_}
	mkdir -p "$FB/corpus/$name" "$FB/crashes/$name"
	dirs=("$FB/corpus/$name")
	for d in tests/fuzz/corpus/"$name" tests/fuzz/crashes/"$name"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	echo "# $t: ${FUZZ_SECONDS}s"
	if "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$FB/crashes/$name/" "${dirs[@]}" \
		>"$FB/$t.log" 2>&1; then
		echo "ok - $t: $(grep -E '^stat::number_of_executed_units' "$FB/$t.log" | awk '{print $2}') runs, no crash"
	else
		echo "not ok - $t: crashed; input in $FB/crashes/$name/, log $FB/$t.log"
		grep -E 'ERROR: |runtime error|SUMMARY' "$FB/$t.log" | head -5 | sed 's/^/#   /'
		echo "#   keep it: cp $FB/crashes/$name/<file> tests/fuzz/crashes/$name/"
		failed=1
	fi
done
exit $failed
