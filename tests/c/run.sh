#!/usr/bin/env bash
# C ABI tests: builds libhypobus (release), compiles the C examples and
# tests/c/api_test.c against include/hypobus.h with warnings as errors, runs
# api_test and api_failover_test (also under valgrind), tests/c/fork_test.c
# (50 forks), then runs examples/c/lab_node on free ports with examples/c/client
# against it, then a failover pair of examples/c/failover_broker processes
# (SIGKILL of the primary, take-over, restart, hand-back), and the course's
# patterns on the socket ABI (tests/c/patterns.sh). Every wait is bounded. Last line: "N passed, M failed".
#
#   bash tests/c/run.sh        (from anywhere; needs cargo, gcc, python3)
set -u
cd "$(dirname "$0")/../.."
. tests/c/tally.sh
. tests/c/procs.sh
OUT="$ROOT/target/c-tests"
mkdir -p "$OUT"

LAB_PID=""
FO_P_PID=""
FO_B_PID=""
TB_PID=""
TW_PID=""
cleanup() {
    exec 3>&- 4>&- 5>&- 6>&- 7>&- 2>/dev/null || true
    end_processes "$LAB_PID" "$FO_P_PID" "$FO_B_PID" "$TB_PID" "$TW_PID"
    rm -f "$OUT/lab_ctl" "$OUT/fo_p_ctl" "$OUT/fo_b_ctl" "$OUT/tb_ctl" "$OUT/tw_ctl"
}
trap cleanup EXIT

# ---------------------------------------------------------------- build
cargo build --release --lib >"$OUT/cargo.log" 2>&1
ok_if "cargo build --release" $? "$OUT/cargo.log" || finish

CFLAGS=(-Wall -Wextra -Werror -std=c11 -I "$ROOT/include")
LDFLAGS=(-L "$LIB" -lhypobus -Wl,-rpath,"$LIB")
build() { # name source [extra flags]
    local name=$1 src=$2
    shift 2
    gcc "${CFLAGS[@]}" "$@" "$src" -o "$OUT/$name" "${LDFLAGS[@]}" 2>"$OUT/$name.gcc.log"
    ok_if "gcc $src" $? "$OUT/$name.gcc.log"
}
build lab_node examples/c/lab_node.c
build client examples/c/client.c
build failover_broker examples/c/failover_broker.c
for t in task_broker task_worker task_client task_course_brokers; do
    build "$t" "examples/c/$t.c" -pthread
done
for t in api_test api_failover_test fork_test security_test; do
    build "$t" "tests/c/$t.c" -I "$ROOT/tests/c" -pthread -lm
done
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

# ---------------------------------------------------------------- api_test, api_failover_test
for t in api_test api_failover_test security_test; do
    echo "# $t"
    timeout 120 "$OUT/$t" >"$OUT/$t.log" 2>&1
    tally_log "$t" "$OUT/$t.log" $?
done

# ---------------------------------------------------------------- under valgrind
# The same checks under valgrind's memcheck: any invalid read or write, use
# of uninitialised memory, or definite leak fails the run (exit code 99).
for t in api_test api_failover_test security_test; do
    if command -v valgrind >/dev/null; then
        echo "# $t under valgrind"
        timeout 900 valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite -q "$OUT/$t" >"$OUT/$t.vg.log" 2>"$OUT/$t.vg.err"
        rc=$?
        if [ $rc -ne 99 ] && [ $rc -ne 124 ] && ! grep -q '^==[0-9]*== ' "$OUT/$t.vg.err"; then
            ok "$t under valgrind: no memory error ($(tail -n1 "$OUT/$t.vg.log"))"
        else
            sed 's/^/    /' "$OUT/$t.vg.err" | head -80
            not_ok "$t under valgrind: memory errors (exit code $rc)"
        fi
    else
        not_ok "$t under valgrind: valgrind is not installed"
    fi
done

# ---------------------------------------------------------------- fork
# A parent with a busy lab forks 50 children that use the library (and
# refuse what they inherited); the parent must go on undisturbed. Before
# the library was fork-safe, libzmq aborted the parent within a few forks.
echo "# fork_test (50 forks)"
timeout 300 "$OUT/fork_test" 50 >"$OUT/fork_test.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && tail -n1 "$OUT/fork_test.log" | grep -q ' passed, 0 failed'; then
    ok "fork_test: $(grep '^ok - ' "$OUT/fork_test.log" | tail -n1 | cut -c6-)"
else
    sed 's/^/    /' "$OUT/fork_test.log" | tail -40
    not_ok "fork_test (exit code $rc)"
fi
if command -v valgrind >/dev/null; then
    timeout 600 valgrind --error-exitcode=99 -q "$OUT/fork_test" 5 >"$OUT/fork_test.vg.log" 2>"$OUT/fork_test.vg.err"
    rc=$?
    if [ $rc -eq 0 ] && ! grep -q '^==[0-9]*== ' "$OUT/fork_test.vg.err"; then
        ok "fork_test (5 forks) under valgrind: no memory error in parent or children"
    else
        sed 's/^/    /' "$OUT/fork_test.vg.err" "$OUT/fork_test.vg.log" | head -60
        not_ok "fork_test under valgrind (exit code $rc)"
    fi
fi

# ---------------------------------------------------------------- lab_node + client
# lab_node runs until its input (fd 3) is closed.
start_lab "$OUT/lab_ctl" "$OUT/lab_node.log" "$OUT/lab_node"
st=$?
echo "# lab_node on ports $XSUB $XPUB $HB"
ok_if "lab_node ready" $st "$OUT/lab_node.log"

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
stop_lab
rc=$?
if [ -n "$LAB_PID" ]; then
    not_ok "lab_node stops when stdin closes"
else
    sed 's/^/    /' "$OUT/lab_node.log"
    if [ $rc -eq 0 ] && grep -q 'C callback calls [1-9]' "$OUT/lab_node.log"; then
        ok "lab_node stops when stdin closes, exit 0, stats printed"
    else
        not_ok "lab_node stops when stdin closes, exit 0, stats printed (exit code $rc)"
    fi
fi

# ---------------------------------------------------------------- failover pair
# Two failover_broker processes on loopback, 50 ms heartbeats: the primary
# goes active, the backup stays passive; SIGKILL the primary: the backup
# takes over within 2 s; a restarted primary stays passive; hand-back moves
# the traffic to it. Each process reads commands from a FIFO (fd 4 primary,
# fd 5 backup) and stops when it is closed.
read -r PHB BHB < <(free_ports 2)
echo "# failover pair, heartbeats on ports $PHB (primary) and $BHB (backup)"
ANY="tcp://127.0.0.1:*"
now_ms() { date +%s%3N; }
# start_fo NAME ROLE HB PEER_HB MISSES FD: starts it with its FIFO on FD, sets FO_PID.
start_fo() {
    start_fed "$OUT/$1_ctl" "$6" "$OUT/failover_broker" --role "$2" --hb "tcp://127.0.0.1:$3" \
        --peer-hb "tcp://127.0.0.1:$4" --xsub "$ANY" --xpub "$ANY" --interval 50 --misses "$5" >"$OUT/$1.log" 2>&1
    FO_PID=$STARTED_PID
}
PLOG="$OUT/fo_p.log"
BLOG="$OUT/fo_b.log"
start_fo fo_p primary "$PHB" "$BHB" 10 4
FO_P_PID=$FO_PID
wait_line "$PLOG" '^ready$' 5
start_fo fo_b backup "$BHB" "$PHB" 6 5
FO_B_PID=$FO_PID
wait_line "$PLOG" '^event active ' 5
ok_if "failover: primary process goes active" $? "$PLOG"
wait_line "$BLOG" '^ready$' 5
sleep 0.7
! grep -q '^event active' "$BLOG"
ok_if "failover: backup process stays passive" $? "$BLOG"

t0=$(now_ms)
kill -KILL "$FO_P_PID" 2>/dev/null
wait "$FO_P_PID" 2>/dev/null
FO_P_PID=""
exec 4>&-
wait_line "$BLOG" '^event active primary silent' 2
st=$?
took=$(($(now_ms) - t0))
[ $st -eq 0 ] && [ $took -lt 2000 ]
ok_if "failover: SIGKILL of the primary, backup takes over within 2 s ($took ms)" $? "$BLOG"
echo status >&5
wait_line "$BLOG" '^status active$' 2
ok_if "failover: backup reports active" $? "$BLOG"
echo handback >&5
wait_line "$BLOG" '^handback refused: .*primary is not running' 3
ok_if "failover: hand-back refused while the primary is dead" $? "$BLOG"

# The primary restarts: it must stay passive.
PLOG="$OUT/fo_p2.log"
start_fo fo_p2 primary "$PHB" "$BHB" 10 4
FO_P_PID=$FO_PID
wait_line "$PLOG" '^ready$' 5
sleep 0.8
echo status >&4
wait_line "$PLOG" '^status (passive|active)$' 2
grep -q '^status passive$' "$PLOG" && ! grep -q '^event active' "$PLOG"
ok_if "failover: restarted primary process stays passive" $? "$PLOG" "$BLOG"
! grep -q '^event passive' "$BLOG"
ok_if "failover: backup keeps the traffic" $? "$BLOG"

echo handback >&5
wait_line "$BLOG" '^handback ok$' 3 && wait_line "$PLOG" '^event active ' 2 &&
    wait_line "$BLOG" '^event passive hand-back requested' 2
ok_if "failover: hand-back: primary active, backup passive" $? "$PLOG" "$BLOG"

# Close both FIFOs: each stops, prints its counters and exits 0.
exec 4>&- 5>&-
wait_gone 5 "$FO_P_PID" "$FO_B_PID"
rcs=""
for pid in "$FO_P_PID" "$FO_B_PID"; do
    if kill -0 "$pid" 2>/dev/null; then rcs="$rcs running"; else
        wait "$pid"
        rcs="$rcs $?"
    fi
done
FO_P_PID=""
FO_B_PID=""
sed 's/^/    fo_p2: /' "$PLOG"
sed 's/^/    fo_b: /' "$BLOG"
[ "$rcs" = " 0 0" ] && grep -q 'activations 1, deactivations 1,' "$BLOG" &&
    grep -q 'activations 1, deactivations 0,' "$PLOG"
ok_if "failover: both processes stop on end of input, exit 0, counters printed (exit codes$rcs)" $? "$PLOG" "$BLOG"


# ---------------------------------------------------------------- task brokers
# examples/c/task_course_brokers (router/dealer, router/router, fault
# tolerant, self-checking), then task_broker + task_worker + task_client
# as three processes: results, a failed task, the counters at the end.
if timeout 60 "$OUT/task_course_brokers" >"$OUT/task_course_brokers.log" 2>&1; then
    sed 's/^/    /' "$OUT/task_course_brokers.log"
    ok "task_course_brokers: router/dealer, router/router and fault-tolerant brokers"
else
    sed 's/^/    /' "$OUT/task_course_brokers.log"
    not_ok "task_course_brokers"
fi
start_fed "$OUT/tb_ctl" 6 "$OUT/task_broker" --hb-interval-ms 100 >"$OUT/task_broker.log" 2>"$OUT/task_broker.err"
TB_PID=$STARTED_PID
wait_line "$OUT/task_broker.log" '^ready$' 10
TFE=$(sed -n 's/^frontend //p' "$OUT/task_broker.log")
TBE=$(sed -n 's/^backend //p' "$OUT/task_broker.log")
start_fed "$OUT/tw_ctl" 7 "$OUT/task_worker" "$TBE" 3 "" >"$OUT/task_worker.log" 2>&1
TW_PID=$STARTED_PID
wait_line "$OUT/task_worker.log" '^ready$' 10
got=$(timeout 30 "$OUT/task_client" "$TFE" alpha beta gamma 2>"$OUT/task_client.err" | cut -d' ' -f1,3 | sort | tr '\n' ' ')
if [ "$got" = "ok :ALPHA ok :BETA ok :GAMMA " ]; then
    ok "task_client -> task_broker -> task_worker (C callback): 3 results"
else
    cat "$OUT/task_client.err" "$OUT/task_broker.err"
    not_ok "task_client -> task_broker -> task_worker: got '$got'"
fi
got=$(timeout 30 "$OUT/task_client" "$TFE" fail 2>/dev/null)
rc=$?
if [ $rc -eq 1 ] && echo "$got" | grep -q "^failed .* this worker refuses 'fail'$"; then
    ok "task_client: a failed task is reported with the worker's reason, exit 1"
else
    not_ok "task_client: a failed task (exit $rc, got '$got')"
fi
exec 7>&- 6>&-
wait_gone 5 "$TW_PID" "$TB_PID"
wait "$TW_PID"
rcw=$?
wait "$TB_PID"
rcb=$?
TW_PID=""
TB_PID=""
sed 's/^/    task_worker: /' "$OUT/task_worker.log"
sed 's/^/    task_broker: /' "$OUT/task_broker.log"
if [ $rcw -eq 0 ] && [ $rcb -eq 0 ] && grep -q '^jobs 4 replies 4 errors 1 ' "$OUT/task_worker.log" &&
    grep -q '^requests 4 replies 4 errors 1 ' "$OUT/task_broker.log"; then
    ok "task_broker and task_worker stop on end of input, exit 0, counters printed"
else
    not_ok "task_broker and task_worker stop on end of input (exit codes $rcw $rcb)"
fi

# ---------------------------------------------------------------- course patterns on the socket ABI
echo "# course patterns (tests/c/patterns.sh)"
HB_SKIP_BUILD=1 bash tests/c/patterns.sh >"$OUT/patterns.log" 2>&1
tally_log patterns.sh "$OUT/patterns.log" $?

finish
