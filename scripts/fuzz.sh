#!/usr/bin/env bash
# Fuzzes every parser that reads bytes from the network or the C ABI
# (fuzz/fuzz_targets, docs/RELIABILITY.md): each target runs for SECONDS
# (default 60) with libFuzzer and AddressSanitizer, one after the other
# (one core), from the committed seeds (fuzz/corpus/<target>). Fails on a
# crash, a panic, a leak, an input slower than 30 s or a hung role.
#
#   bash scripts/fuzz.sh [SECONDS]        every target (HB_FUZZ_SECONDS also sets it)
#   HB_FUZZ_TARGETS="lab_wire trace" bash scripts/fuzz.sh 600
#
# What a run finds is in fuzz/artifacts/<target>/ (reproduce with
# `cd fuzz && cargo +nightly fuzz run <target> <file>`); the inputs it
# learnt go to fuzz/target/corpus/<target> (not committed: the committed
# seeds stay small). Needs the nightly toolchain; installs cargo-fuzz.
set -uo pipefail
cd "$(dirname "$0")/.."

secs=${1:-${HB_FUZZ_SECONDS:-60}}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS] (a whole number of seconds per target)"
    exit 2
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "the fuzz targets need the nightly toolchain (rustup toolchain install nightly)"
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked || {
        echo "cannot install cargo-fuzz"
        exit 1
    }
fi

cd fuzz
# Debug assertions and overflow checks on (cargo fuzz's default build).
cargo +nightly fuzz build || exit 1
# Targets left out of the default run while what they find is open
# (docs/RELIABILITY.md, "What fuzzing found"); none now. HB_FUZZ_TARGETS
# runs any of them.
OPEN=""
if [ -n "${HB_FUZZ_TARGETS:-}" ]; then
    targets=$HB_FUZZ_TARGETS
elif [ -n "$OPEN" ]; then
    targets=$(cargo +nightly fuzz list | grep -vxF "$OPEN")
    echo "left out while open (docs/RELIABILITY.md): $OPEN"
else
    targets=$(cargo +nightly fuzz list)
fi

failed=0
summary=()
for t in $targets; do
    printf '\n--- fuzz %s for %s s ---\n' "$t" "$secs"
    learnt="target/corpus/$t"
    mkdir -p "$learnt" "artifacts/$t"
    log="target/fuzz-$t.log"
    # The targets that drive roles over sockets keep the roles (and what they
    # hold: journals, counters, queues) from one input to the next, so a
    # per-input leak check would report state, and slows them 20-fold.
    case "$t" in
    task_frames | c_abi) leaks=0 ;;
    *) leaks=1 ;;
    esac
    start=$(date +%s)
    # The learnt corpus first (libFuzzer adds new inputs to the first folder),
    # the committed seeds second (read only). -timeout: an input slower than
    # 30 s is a hang; the roles' own waits are bounded at 20 s (fuzz/src/lib.rs).
    cargo +nightly fuzz run "$t" "$learnt" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=30 -rss_limit_mb=2560 -max_len=4096 -detect_leaks="$leaks" \
        -print_final_stats=1 -close_fd_mask=1 >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        result="ok"
    else
        result="FAILED (exit $rc; see fuzz/$log and fuzz/artifacts/$t)"
        failed=$((failed + 1))
        grep -E -m 20 "panicked|ERROR: |SUMMARY|Test unit written|==[0-9]+==" "$log" || tail -40 "$log"
    fi
    line="$t: ${execs:-?} executions in ${took} s, ${cov:-cov: ?}, $result"
    echo "$line"
    summary+=("$line")
done

printf '\n--- fuzz summary ---\n'
printf '%s\n' "${summary[@]}"
[ "$failed" -eq 0 ]
