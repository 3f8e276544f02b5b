#!/usr/bin/env bash
# The Node binding's tests, from a fresh checkout: builds libhypobus and the
# command-line tool (cargo, release) unless HB_SKIP_BUILD=1, installs the
# package's dependencies (npm ci: koffi, and for the tests typescript and the
# real zeromq 6), type-checks index.d.ts (tsc --noEmit), and runs every test
# in test/ with node --test: sockets and the zeromq.js v5 API, the roles,
# every example end to end, idle CPU and clean exits, interop with zeromq 6
# and zeromq/v5-compat, the mixed lab with the CLI, npm pack + install
# without cargo. Bounded in time; the last line is "N passed, M failed".
#
#   bash bindings/node/run-tests.sh        (from anywhere)
set -u
cd "$(dirname "$0")"
PKG=$PWD
ROOT=$(cd ../.. && pwd)
OUT="$ROOT/target/node-tests"
mkdir -p "$OUT"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

if [ "${HB_SKIP_BUILD:-0}" != 1 ]; then
    if (cd "$ROOT" && cargo build --release --lib --bins) >"$OUT/cargo.log" 2>&1; then
        ok "cargo build --release (libhypobus.so and the hypobus tool)"
    else
        tail -30 "$OUT/cargo.log"
        not_ok "cargo build --release"
        finish
    fi
fi

if npm ci --no-audit --no-fund --loglevel=error >"$OUT/npm.log" 2>&1; then
    ok "npm ci (koffi, typescript, zeromq 6)"
else
    cat "$OUT/npm.log"
    not_ok "npm ci"
    finish
fi

if timeout 120 npx --no-install tsc --noEmit -p . >"$OUT/tsc.log" 2>&1; then
    ok "tsc --noEmit (index.d.ts and test/types/usage.ts)"
else
    cat "$OUT/tsc.log"
    not_ok "tsc --noEmit"
fi

# Each test bounded by --test-timeout, the whole run by timeout(1).
timeout 900 node --test --test-timeout=120000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$OUT/tap.txt" \
    test/*.test.js
rc=$?
p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$OUT/tap.txt" | tail -1)
f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$OUT/tap.txt" | tail -1)
c=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$OUT/tap.txt" | tail -1)
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0} + ${c:-0}))
if [ -z "$p" ] || { [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ] && [ "${c:-0}" -eq 0 ]; }; then
    not_ok "node --test ended with status $rc"
fi
finish
