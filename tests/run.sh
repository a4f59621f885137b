#!/bin/sh
# Runs every test program under $SKEP_BUILD/tests (or those of one subsystem,
# given as $1), each under a timeout, and sums their PASS/FAIL/SKIP lines into
# the closing line `N passed, N failed, N skipped`.
set -u
build=${SKEP_BUILD:-build}
only=${1:-}
timeout_s=${SKEP_TEST_TIMEOUT:-900}
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$build"/tests/*/test_*; do
	[ -x "$t" ] || continue
	sub=$(basename "$(dirname "$t")")
	[ -n "$only" ] && [ "$sub" != "$only" ] && continue
	name="$sub/$(basename "$t")"
	timeout "$timeout_s" "$t" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	grep -E '^(FAIL|SKIP) ' "$log" | sed "s|^|  $name: |" | head -n 40
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "$f" -eq 0 ]; then
		echo "  $name: exited with status $rc and no FAIL line:"
		tail -n 15 "$log" | sed 's/^/    /'
		f=1
	fi
	if [ "$rc" -eq 77 ] && [ "$p$f$s" = "000" ]; then
		s=1
	fi
	printf '%-40s %5d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
