#!/usr/bin/env python3
"""A task broker (hypobus.TaskBroker) as a process of its own, like
`hypobus task-broker`: clients connect to its frontend, workers to its
backend. With --db PATH its journal is an SQLite file, with --db
postgres://USER@HOST:PORT/DB a PostgreSQL database: kill the broker (even
with SIGKILL) and start it again on the same journal, and every request it
had accepted is still answered; results can be fetched by id.

usage: python -m hypobus.examples.task_broker [--frontend EP] [--backend EP] [--policy lru|load|typed]
           [--db PATH|URL] [--answer-timeout-ms N] [--service-wait-ms N] [--hb-interval-ms N] [--stats-every S]

Defaults: ports 5570 (frontend) and 5571 (backend) on every interface, lru,
the journal in memory. Prints "task-broker ready: ..." with the bound
endpoints, a stats line every S seconds (--stats-every), and its counters
at the end (Ctrl-C or SIGTERM).
"""

import argparse
import signal
import sys
import threading

import hypobus


def stats_line(b):
    s = b.stats()
    return "stats " + " ".join(f"{k}={v}" for k, v in vars(s).items())


def main(argv):
    ap = argparse.ArgumentParser(prog="python -m hypobus.examples.task_broker", description=__doc__.split("\n")[0])
    ap.add_argument("--frontend", default=None)
    ap.add_argument("--backend", default=None)
    ap.add_argument("--policy", default="lru", choices=sorted(hypobus.task.POLICIES))
    ap.add_argument("--db", default=None, help="an SQLite file or a postgres:// URL (default: in memory)")
    ap.add_argument("--answer-timeout-ms", type=int, default=5000)
    ap.add_argument("--service-wait-ms", type=int, default=5000)
    ap.add_argument("--hb-interval-ms", type=int, default=1000)
    ap.add_argument("--stats-every", type=float, default=0.0, help="print the counters every S seconds")
    a = ap.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with hypobus.TaskBroker(
        a.frontend,
        a.backend,
        policy=a.policy,
        journal=a.db,
        answer_timeout_ms=a.answer_timeout_ms,
        service_wait_ms=a.service_wait_ms,
        hb_interval_ms=a.hb_interval_ms,
    ) as b:
        print(
            f"task-broker ready: frontend {b.frontend_endpoint} backend {b.backend_endpoint} policy {b.policy} "
            f"journal {b.journal} recovered {b.stats().recovered}",
            flush=True,
        )
        try:
            while not stop.wait(a.stats_every or 0.2):
                if a.stats_every:
                    print(stats_line(b), flush=True)
        except KeyboardInterrupt:
            pass
        b.stop()
        print(stats_line(b), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
