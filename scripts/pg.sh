#!/usr/bin/env bash
# Runs the tests of the PostgreSQL task journal against a real server:
# Debian's postgresql (installed when missing and root), a cluster made by
# initdb as an unprivileged user in a temporary directory, listening on
# 127.0.0.1 at a free port (its unix socket in that directory too), stopped
# by its PID at the end whatever happens. The tests get
#   HYPOBUS_PG_URL      postgres://hypobus@127.0.0.1:PORT/hypobus (each test
#                       uses a database of its own, made by the store)
#   HYPOBUS_REQUIRE_PG=1 (a test that finds no URL fails instead of skipping)
#   HYPOBUS_PG_CTL      a pg_ctl for this cluster (stop -m fast / start -w:
#                       the outage test stops and restarts the server)
#   HYPOBUS_PSQL        psql
#
#   bash scripts/pg.sh                 the PostgreSQL tests
#   bash scripts/pg.sh COMMAND...      COMMAND instead, with the server up
#                                      (e.g. cargo bench --bench task)
set -uo pipefail
cd "$(dirname "$0")/.."

pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

BIN=$(pg_bindir)
if [ -z "$BIN" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's postgresql"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) || {
            echo "cannot install postgresql"
            exit 1
        }
        BIN=$(pg_bindir)
    fi
fi
if [ -z "$BIN" ]; then
    echo "no PostgreSQL server (initdb, pg_ctl in /usr/lib/postgresql/*/bin) and no way to install it"
    exit 1
fi
PSQL=$(command -v psql || echo "$BIN/psql")

# initdb refuses root: as root, the cluster belongs to nobody.
if [ "$(id -u)" -eq 0 ]; then
    AS=(runuser -u nobody --)
    OWNER=nobody
else
    AS=()
    OWNER=$(id -un)
fi

T=$(mktemp -d /tmp/hb-pg.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/data" "$T/sock"
chown "$OWNER" "$T/data" "$T/sock"
chmod 700 "$T/data"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PID=""

stop_server() {
    # The tests may have restarted it (pg_ctl): its PID is in postmaster.pid.
    [ -f "$T/data/postmaster.pid" ] && PID=$(head -1 "$T/data/postmaster.pid")
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -INT "$PID" # fast shutdown
        for _ in $(seq 1 300); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$PID" 2>/dev/null && kill -KILL "$PID"
    fi
    rm -rf "$T"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

cat >"$T/pg_ctl" <<EOF
#!/bin/sh
# pg_ctl for the test cluster (start -w, stop -m fast -w, status).
exec ${AS[*]} "$BIN/pg_ctl" -D "$T/data" -l "$T/log" -t 60 -o "-p $PORT -k $T/sock -c listen_addresses=127.0.0.1" "\$@"
EOF
chmod 755 "$T/pg_ctl"

t0=$(date +%s)
"${AS[@]}" "$BIN/initdb" -D "$T/data" -U hypobus -A trust -E UTF8 --locale=C.UTF-8 >"$T/initdb.log" 2>&1 || {
    cat "$T/initdb.log"
    echo "initdb failed"
    exit 1
}
# Quicker for tests, durability kept (commits still reach the WAL on disk).
cat >>"$T/data/postgresql.conf" <<EOF
max_connections = 200
shared_buffers = 64MB
EOF
touch "$T/log" && chown "$OWNER" "$T/log"
"$T/pg_ctl" start -w >/dev/null || {
    cat "$T/log"
    echo "the PostgreSQL server did not start"
    exit 1
}
PID=$(head -1 "$T/data/postmaster.pid")
URL="postgres://hypobus@127.0.0.1:$PORT/hypobus"
"$PSQL" "postgres://hypobus@127.0.0.1:$PORT/postgres" -qc "CREATE DATABASE hypobus" || exit 1
echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') up in $(($(date +%s) - t0)) s: $URL (pid $PID, data $T/data)"

export HYPOBUS_PG_URL="$URL" HYPOBUS_REQUIRE_PG=1 HYPOBUS_PG_CTL="$T/pg_ctl" HYPOBUS_PSQL="$PSQL"

if [ $# -gt 0 ]; then
    "$@"
    exit $?
fi

status=0
step() { printf '\n=== %s ===\n' "$*"; }
step "store contract on PostgreSQL (unit tests)"
cargo test --release -p hypobus --lib task::store || status=1
step "C ABI: a task broker with a postgres:// journal"
cargo test --release -p hypobus --test task_abi postgres || status=1
step "broker processes on PostgreSQL: 4x500 requests, SIGKILL and restart, psql, the server stopped under load"
cargo test --release -p hypobus-tool --test task_pg -- --nocapture || status=1
exit $status
