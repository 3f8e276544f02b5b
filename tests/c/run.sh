#!/usr/bin/env bash
# C ABI tests: builds libhypobus (release), compiles the C examples and
# tests/c/api_test.c against include/hypobus.h with warnings as errors, runs
# api_test, then runs examples/c/lab_node on free ports with examples/c/client
# against it. Every wait is bounded. Last line: "N passed, M failed".
#
#   bash tests/c/run.sh        (from anywhere; needs cargo, gcc, python3)
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
LIB="$ROOT/target/release"
OUT="$ROOT/target/c-tests"
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

LAB_PID=""
cleanup() {
    exec 3>&- 2>/dev/null || true
    if [ -n "$LAB_PID" ] && kill -0 "$LAB_PID" 2>/dev/null; then
        kill "$LAB_PID" 2>/dev/null
        wait "$LAB_PID" 2>/dev/null
    fi
    rm -f "$OUT/lab_ctl"
}
trap cleanup EXIT

# ---------------------------------------------------------------- build
if cargo build --release --lib >"$OUT/cargo.log" 2>&1; then
    ok "cargo build --release"
else
    cat "$OUT/cargo.log"
    not_ok "cargo build --release"
    finish
fi

CFLAGS=(-Wall -Wextra -Werror -std=c11 -I "$ROOT/include")
LDFLAGS=(-L "$LIB" -lhypobus -Wl,-rpath,"$LIB")
build() { # name source [extra flags]
    local name=$1 src=$2
    shift 2
    if gcc "${CFLAGS[@]}" "$@" "$src" -o "$OUT/$name" "${LDFLAGS[@]}" 2>"$OUT/$name.gcc.log"; then
        ok "gcc $src"
    else
        cat "$OUT/$name.gcc.log"
        not_ok "gcc $src"
    fi
}
build lab_node examples/c/lab_node.c
build client examples/c/client.c
build api_test tests/c/api_test.c -pthread -lm
# The header must also be valid C++.
if command -v g++ >/dev/null; then
    if echo '#include "hypobus.h"
int main() { hb_client *c = nullptr; return hb_client_free(c) == HB_OK ? 0 : 1; }' |
        g++ -Wall -Wextra -Werror -std=c++11 -I "$ROOT/include" -x c++ - -o "$OUT/cpp_check" "${LDFLAGS[@]}" 2>"$OUT/cpp.log" &&
        "$OUT/cpp_check"; then
        ok "header compiles as C++"
    else
        cat "$OUT/cpp.log"
        not_ok "header compiles as C++"
    fi
fi
[ "$failed" -eq 0 ] || finish

# ---------------------------------------------------------------- api_test
echo "# api_test"
timeout 120 "$OUT/api_test" >"$OUT/api_test.log" 2>&1
rc=$?
sed 's/^/    /' "$OUT/api_test.log"
passed=$((passed + $(grep -c '^ok - ' "$OUT/api_test.log")))
failed=$((failed + $(grep -c '^not ok - ' "$OUT/api_test.log")))
if [ $rc -eq 0 ] && tail -n1 "$OUT/api_test.log" | grep -q ' passed, 0 failed'; then
    ok "api_test exits 0"
else
    not_ok "api_test exits 0 (exit code $rc)"
fi

# ---------------------------------------------------------------- lab_node + client
read -r XSUB XPUB HB < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()')
echo "# lab_node on ports $XSUB $XPUB $HB"
mkfifo "$OUT/lab_ctl"
"$OUT/lab_node" --xsub "tcp://127.0.0.1:$XSUB" --xpub "tcp://127.0.0.1:$XPUB" --hb "tcp://127.0.0.1:$HB" \
    <"$OUT/lab_ctl" >"$OUT/lab_node.log" 2>&1 &
LAB_PID=$!
exec 3>"$OUT/lab_ctl" # lab_node runs until this is closed
for _ in $(seq 100); do
    grep -q '^ready$' "$OUT/lab_node.log" 2>/dev/null && break
    kill -0 "$LAB_PID" 2>/dev/null || break
    sleep 0.1
done
if grep -q '^ready$' "$OUT/lab_node.log"; then
    ok "lab_node ready"
else
    cat "$OUT/lab_node.log"
    not_ok "lab_node ready"
fi

BROKERS="127.0.0.1:$XSUB:$XPUB"
got=$(timeout 20 "$OUT/client" 12 13 "$BROKERS" 2>"$OUT/client.err")
rc=$?
if [ $rc -eq 0 ] && [ "$got" = "17.6918" ]; then
    ok "client 12 13 -> 17.6918"
else
    cat "$OUT/client.err"
    not_ok "client 12 13 -> 17.6918 (got '$got', exit code $rc)"
fi
got=$(timeout 20 "$OUT/client" abc 13 "$BROKERS" 2>"$OUT/client.err")
rc=$?
if [ $rc -eq 1 ] && [ -z "$got" ] && grep -q 'not a decimal number' "$OUT/client.err"; then
    ok "client abc 13 -> error on stderr, exit 1"
else
    not_ok "client abc 13 -> error on stderr, exit 1 (exit code $rc, stderr: $(cat "$OUT/client.err"))"
fi

# Close lab_node's stdin: it stops, prints its counters and exits 0.
exec 3>&-
for _ in $(seq 100); do
    kill -0 "$LAB_PID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$LAB_PID" 2>/dev/null; then
    not_ok "lab_node stops when stdin closes"
else
    wait "$LAB_PID"
    rc=$?
    LAB_PID=""
    sed 's/^/    /' "$OUT/lab_node.log"
    if [ $rc -eq 0 ] && grep -q 'C callback calls [1-9]' "$OUT/lab_node.log"; then
        ok "lab_node stops when stdin closes, exit 0, stats printed"
    else
        not_ok "lab_node stops when stdin closes, exit 0, stats printed (exit code $rc)"
    fi
fi

finish
