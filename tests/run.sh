#!/usr/bin/env bash
# Run every Criterion suite (each under coreutils timeout, since Criterion
# ignores --timeout), then every MPI integration script, and close with one
# Synthesis line over all of them.
set -u
BUILD=${BUILD:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export SIRNN=$PWD/$BUILD/sirnn BUILD
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
tested=0 passing=0 failing=0 crashing=0
failed_names=()
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o|*.d) continue ;; esac
    name=$(basename "$t")
    out=$(timeout -k 10 "${SR_TEST_TIMEOUT:-900}" "$t" --jobs 2 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -1)
    if [ -z "$line" ]; then
        printf '%s\n' "$out" | tail -20
        echo "[FAIL] $name: no synthesis (exit $rc)"
        tested=$((tested + 1)); crashing=$((crashing + 1))
        failed_names+=("$name"); continue
    fi
    nums=$(printf '%s\n' "$line" | sed 's/\x1b\[[0-9;]*m//g' |
        sed -E 's/.*Tested: ([0-9]+) \| Passing: ([0-9]+) \| Failing: ([0-9]+) \| Crashing: ([0-9]+).*/\1 \2 \3 \4/')
    read -r a b c d <<<"$nums"
    tested=$((tested + a)); passing=$((passing + b))
    failing=$((failing + c)); crashing=$((crashing + d))
    if [ "$rc" -ne 0 ] || [ "$c" -ne 0 ] || [ "$d" -ne 0 ]; then
        printf '%s\n' "$out" | grep -v '^\[----\].*Criterion' | tail -40
        failed_names+=("$name")
        [ "$c" -ne 0 ] || [ "$d" -ne 0 ] || { crashing=$((crashing + 1)); tested=$((tested + 1)); }
    fi
    echo "[suite] $name: $a tested, $b passing"
done
for s in tests/mpi/*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s")
    # Full stacks under ASan, so tests/lsan.supp can match Open MPI's frames.
    out=$(ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
        timeout -k 10 600 bash "$s" 2>&1)
    rc=$?
    tested=$((tested + 1))
    if [ "$rc" -eq 0 ]; then
        passing=$((passing + 1)); echo "[mpi] $name: ok"
    else
        printf '%s\n' "$out" | tail -30
        failing=$((failing + 1)); failed_names+=("$name"); echo "[mpi] $name: FAIL ($rc)"
    fi
done
[ "${#failed_names[@]}" -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "[====] Synthesis: Tested: $tested | Passing: $passing | Failing: $failing | Crashing: $crashing"
[ "$failing" -eq 0 ] && [ "$crashing" -eq 0 ] && [ "$tested" -gt 0 ]
