# Sourced by the C test scripts (after tally.sh): free ports, and starting,
# watching and stopping the example programs they run. Every wait is
# bounded.

# free_ports N: N free loopback TCP ports, on one line.
free_ports() {
    python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()' "$1"
}

# wait_line FILE REGEX SECONDS [PID]: true once a line of FILE matches;
# gives up after SECONDS, or as soon as PID (when given) has exited.
wait_line() {
    local end=$((SECONDS + $3 + 1))
    while [ $SECONDS -lt $end ]; do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then break; fi
        sleep 0.05
    done
    grep -qE "$2" "$1" 2>/dev/null
}

# wait_gone SECONDS PID...: waits until each PID has exited, at most
# SECONDS for each.
wait_gone() {
    local limit=$1 pid
    shift
    for pid in "$@"; do
        for _ in $(seq $((limit * 20))); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
    done
}

# start_fed FIFO FD COMMAND...: starts COMMAND in the background with its
# standard input read from FIFO (made anew), which this shell keeps open
# for writing on FD: the program reads commands written to FD and meets the
# end of its input when FD is closed. Sets STARTED_PID. Redirect the call's
# output to give the program's.
start_fed() {
    local fifo=$1 fd=$2
    shift 2
    rm -f "$fifo"
    mkfifo "$fifo"
    "$@" <"$fifo" &
    STARTED_PID=$!
    eval "exec $fd>\"\$fifo\""
}

# start_lab FIFO LOG COMMAND...: starts COMMAND (a lab_node) on three free
# loopback ports, which go to XSUB, XPUB and HB, fed by FIFO on fd 3 (see
# start_fed; closing fd 3 stops it), output to LOG. Sets LAB_PID; true once
# it printed "ready" (10 s at most).
start_lab() {
    local fifo=$1 log=$2
    shift 2
    read -r XSUB XPUB HB < <(free_ports 3)
    start_fed "$fifo" 3 "$@" --xsub "tcp://127.0.0.1:$XSUB" --xpub "tcp://127.0.0.1:$XPUB" \
        --hb "tcp://127.0.0.1:$HB" >"$log" 2>&1
    LAB_PID=$STARTED_PID
    wait_line "$log" '^ready$' 10 "$LAB_PID"
}

# stop_lab: closes the lab's input (fd 3) and returns its exit code once it
# exited (10 s at most); if it still runs, returns 124 and LAB_PID stays
# set (end_processes stops it).
stop_lab() {
    exec 3>&-
    wait_gone 10 "$LAB_PID"
    kill -0 "$LAB_PID" 2>/dev/null && return 124
    wait "$LAB_PID" 2>/dev/null
    local rc=$?
    LAB_PID=""
    return $rc
}

# end_processes PID...: ends each (empty or exited ones are skipped) and
# reaps it. For the scripts' EXIT traps.
end_processes() {
    local pid
    for pid in "$@"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
}
