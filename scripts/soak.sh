#!/usr/bin/env bash
# The chaos soak: the whole lab and a task broker on SQLite as processes,
# under 4 lab and 4 task clients, a random role SIGKILLed or SIGSTOPped
# every 2-5 s for SECONDS (default 60); prints a table and fails when a
# request was answered wrong, lost or answered twice. The driver is
# tool/src/bin/hypobus-soak.rs (`--help` for its options; extra arguments
# go to it, e.g. `scripts/soak.sh 600 --seed 42`). docs/RELIABILITY.md,
# "Chaos soak", says what is counted.
#
# The driver and every role it starts run in a process group of their own;
# on exit, Ctrl-C or failure of this script the whole group is killed.
set -u
cd "$(dirname "$0")/.."
secs="${1:-60}"
[ $# -gt 0 ] && shift
if [ "${HB_SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release -p hypobus-tool --bins || exit 1
fi
bin="$PWD/target/release/hypobus-soak"
set +m
setsid "$bin" "$secs" --hypobus "$PWD/target/release/hypobus" "$@" &
pid=$!
cleanup() {
    # The group: the driver (if still there) and any role it left behind.
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 -- "-$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -CONT -- "-$pid" 2>/dev/null
    kill -KILL -- "-$pid" 2>/dev/null
}
trap 'cleanup; exit 130' INT TERM
trap 'kill -KILL -- "-$pid" 2>/dev/null' EXIT
wait "$pid"
rc=$?
exit "$rc"
