#!/usr/bin/env bash
# Runs the C ABI's tests under sanitizers (docs/RELIABILITY.md):
#
#  1. asan: the library built with AddressSanitizer (nightly
#     -Zsanitizer=address, target/asan); the C tests (tests/c/api_test.c,
#     api_failover_test.c, fork_test.c) compiled with gcc's
#     -fsanitize=address,undefined against it, and the ABI tests from
#     Python (tests/abi/python) and Node (tests/abi/node) loading it with
#     gcc's libasan preloaded. Any ASan or UBSan report fails the run.
#  2. tsan: ThreadSanitizer (nightly -Zsanitizer=thread, std rebuilt with
#     -Zbuild-std, target/tsan) over the Rust tests of the handle
#     registry, the callback pools and the stop/free races
#     (scripts/tsan.supp says what is suppressed and why).
#
#   bash scripts/sanitizers.sh [asan|tsan]...   (default: both)
#
# Needs the nightly toolchain with rust-src (added if missing), gcc with
# libasan and libubsan, and for the ABI tests Python 3 with pytest
# (target/test-venv, made by scripts/test-all.sh, or the system's) and Node
# with tests/abi/node's packages (npm ci). Every test keeps its own bounds;
# each step also runs under `timeout`. Last line: "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
. tests/c/tally.sh
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(asan tsan)

if ! cargo +nightly --version >/dev/null 2>&1; then
    not_ok "the nightly toolchain is installed (rustup toolchain install nightly)"
    finish
fi

# ------------------------------------------------------------------ asan
asan() {
    local out="$ROOT/target/asan" lib
    mkdir -p "$out/c"
    echo "# building the library with AddressSanitizer (target/asan)"
    RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes" \
        cargo +nightly build --release --lib --target "$TRIPLE" --target-dir "$out" >"$out/cargo.log" 2>&1
    ok_if "cargo +nightly build -Zsanitizer=address" $? "$out/cargo.log" || return
    lib="$out/$TRIPLE/release"
    local libasan
    libasan=$(gcc -print-file-name=libasan.so)
    # halt_on_error: the first report fails the program; detect_leaks for the C
    # tests (a definite leak is a finding, as under valgrind).
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    local asan_c="detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=99:suppressions=$ROOT/scripts/lsan.supp"
    for t in api_test api_failover_test fork_test; do
        gcc -Wall -Wextra -Werror -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all -I "$ROOT/include" -I "$ROOT/tests/c" -pthread "tests/c/$t.c" -o "$out/c/$t" \
            -L "$lib" -lhypobus -Wl,-rpath,"$lib" -lm 2>"$out/c/$t.gcc.log"
        ok_if "gcc -fsanitize=address,undefined tests/c/$t.c" $? "$out/c/$t.gcc.log" || return
    done
    for t in api_test api_failover_test "fork_test 20"; do
        local name=${t%% *} opts=$asan_c
        # A forked child holds a copy of the parent's roles without their
        # threads (it must not touch them: they are the parent's), so at its
        # exit their memory has no owner LeakSanitizer can see: no leak check
        # for fork_test (its parent's leaks are api_test's, which has one).
        [ "$name" = fork_test ] && opts=${asan_c/detect_leaks=1/detect_leaks=0}
        echo "# $t under ASan + UBSan"
        LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan.supp:print_suppressions=0" ASAN_OPTIONS="$opts" \
            timeout 600 "$out/c/"$t >"$out/c/$name.log" 2>&1
        local rc=$?
        if grep -qE '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)|runtime error:' "$out/c/$name.log"; then
            grep -E -A40 '^==[0-9]+==ERROR|runtime error:' "$out/c/$name.log" | head -80 | sed 's/^/    /'
            not_ok "$name under ASan + UBSan: a sanitizer report (exit code $rc)"
        elif [ $rc -eq 0 ] && tail -n1 "$out/c/$name.log" | grep -q ' passed, 0 failed'; then
            ok "$name under ASan + UBSan: $(tail -n1 "$out/c/$name.log")"
        else
            tail -n 30 "$out/c/$name.log" | sed 's/^/    /'
            not_ok "$name under ASan + UBSan (exit code $rc)"
        fi
    done

    # The interpreters are not instrumented and keep memory to the end on
    # purpose: no leak check for them, every other ASan check on.
    # under_asan NAME LOG DIR COMMAND...: COMMAND run in DIR with the ASan
    # library preloaded; ok when it exits 0 with no report in LOG.
    under_asan() {
        local name=$1 log=$2 dir=$3 rc
        shift 3
        echo "# $name with the ASan library"
        (cd "$dir" && LD_PRELOAD="$libasan" HYPOBUS_LIB="$lib/libhypobus.so" \
            ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:exitcode=99:verify_asan_link_order=0" timeout 900 "$@") >"$log" 2>&1
        rc=$?
        if [ $rc -eq 0 ] && ! grep -qE '^==[0-9]+==ERROR|runtime error:' "$log"; then
            ok "$name under ASan: $(grep -E '^# (pass|fail) | passed' "$log" | tail -n2 | tr '\n' ' ')"
        else
            grep -E -A40 '^==[0-9]+==ERROR' "$log" | head -80 | sed 's/^/    /'
            tail -n 30 "$log" | sed 's/^/    /'
            not_ok "$name under ASan (exit code $rc)"
        fi
    }
    local py="$ROOT/target/test-venv/bin/python"
    [ -x "$py" ] || py=python3
    if "$py" -c 'import pytest' 2>/dev/null; then
        under_asan "C ABI from Python" "$out/python.log" "$ROOT" "$py" -m pytest tests/abi/python -q -p no:cacheprovider
    else
        not_ok "C ABI from Python under ASan: no pytest (bash scripts/test-all.sh makes target/test-venv)"
    fi
    if [ -d tests/abi/node/node_modules ] || (cd tests/abi/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
        under_asan "C ABI from Node" "$out/node.log" "$ROOT/tests/abi/node" node --test
    else
        not_ok "C ABI from Node under ASan: cannot install tests/abi/node's packages (npm ci)"
    fi
}

# ------------------------------------------------------------------ tsan
tsan() {
    local out="$ROOT/target/tsan"
    mkdir -p "$out"
    if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
        rustup component add rust-src --toolchain nightly >"$out/rustup.log" 2>&1
        ok_if "rustup component add rust-src (for -Zbuild-std)" $? "$out/rustup.log" || return
    fi
    export RUSTFLAGS="-Zsanitizer=thread -Cforce-frame-pointers=yes"
    export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$ROOT/scripts/tsan.supp"
    local cargo=(cargo +nightly test -Zbuild-std -p hypobus --release --target "$TRIPLE" --target-dir "$out")
    echo "# building the tests with ThreadSanitizer (target/tsan, std rebuilt)"
    "${cargo[@]}" --no-run --lib --test client_abi --test socket --test task_abi >"$out/build.log" 2>&1
    ok_if "cargo +nightly test -Zsanitizer=thread --no-run" $? "$out/build.log" || return
    # NAME | cargo test target | test name filters: the handle registry
    # (bad, freed and concurrent handles), the callback pools, waits woken by
    # free and stop.
    local runs=(
        "callback pools and the library's unit tests of the ABI|--lib|ffi::"
        "client handles: free wakes waits, concurrent calls, stop under signals|--test client_abi|waits_do_not_hold concurrent_hypots bad_handles stopping_roles cancel"
        "socket handles: free on another thread, concurrent recv and send|--test socket|free_on_another_thread two_threads_receive a_send_is_not_blocked bad_handles"
        "task roles: callback worker pool, pull worker, bad configs|--test task_abi|"
    )
    local r name target filters
    for r in "${runs[@]}"; do
        IFS='|' read -r name target filters <<<"$r"
        echo "# TSan: $name"
        # shellcheck disable=SC2086
        timeout 900 "${cargo[@]}" $target -- --test-threads=2 $filters >"$out/run.log" 2>&1
        local rc=$?
        if grep -q 'WARNING: ThreadSanitizer' "$out/run.log"; then
            grep -A60 'WARNING: ThreadSanitizer' "$out/run.log" | head -90 | sed 's/^/    /'
            not_ok "TSan: $name: a data race or lock report (exit code $rc)"
        elif [ $rc -eq 0 ]; then
            ok "TSan: $name: $(grep -E '^test result' "$out/run.log" | tail -n1)"
        else
            tail -n 30 "$out/run.log" | sed 's/^/    /'
            not_ok "TSan: $name (exit code $rc)"
        fi
        cat "$out/run.log" >>"$out/runs.log"
    done
}

for s in "${steps[@]}"; do
    case "$s" in
    asan) asan ;;
    tsan) tsan ;;
    *)
        not_ok "unknown step '$s' (asan, tsan)"
        ;;
    esac
done
finish
