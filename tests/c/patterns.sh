#!/usr/bin/env bash
# The course's ZeroMQ patterns (SPEC section 3, items 1-6) as C programs on
# the generic socket C ABI: tests/c/patterns/*.c, each running its parties
# as threads of one process on free loopback ports, with bounded waits,
# checking real results, exiting 0 or 1.
#
# Builds libhypobus (release) unless HB_SKIP_BUILD=1, compiles every
# program with warnings as errors, runs each under `timeout`, prints
# "ok - NAME" / "not ok - NAME" per program and a last line
# "N passed, M failed"; exits non-zero when one failed.
#
#   bash tests/c/patterns.sh        (from anywhere; needs cargo and gcc)
set -u
cd "$(dirname "$0")/../.."
. tests/c/tally.sh
OUT="$ROOT/target/c-tests/patterns"
mkdir -p "$OUT"

if [ "${HB_SKIP_BUILD:-0}" != 1 ]; then
    if ! cargo build --release --lib >"$OUT/cargo.log" 2>&1; then
        cat "$OUT/cargo.log"
        not_ok "cargo build --release --lib"
        finish
    fi
fi

for src in tests/c/patterns/*.c; do
    name=$(basename "$src" .c)
    if ! gcc -Wall -Wextra -Werror -std=c11 -pthread -I "$ROOT/include" "$src" -o "$OUT/$name" \
        -L "$LIB" -lhypobus -Wl,-rpath,"$LIB" 2>"$OUT/$name.gcc.log"; then
        sed 's/^/    /' "$OUT/$name.gcc.log"
        not_ok "$name (gcc)"
        continue
    fi
    timeout 60 "$OUT/$name" >"$OUT/$name.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        ok "$name"
    else
        sed 's/^/    /' "$OUT/$name.log"
        [ $rc -eq 124 ] && echo "    (killed by timeout after 60 s)"
        not_ok "$name (exit code $rc)"
    fi
done
finish
