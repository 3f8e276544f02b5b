#!/usr/bin/env python3
"""A durable task broker: the journal is an SQLite file (or a PostgreSQL database).

usage: python -m hypobus.examples.task_durable [PATH | postgres://USER@HOST:PORT/DB]
       (default: a file in a temporary directory)

1. A broker with journal=PATH accepts 5 requests (our own ids) while no
   worker is there yet, and stops (a crash would do the same: what it had
   accepted is on disk).
2. A new broker on the same file and the same ports takes them up; a worker
   joins; the client, still running, gets every answer exactly once (it
   resends with the same ids; the broker knows them and answers once).
3. A brand-new client fetches a result by id: the broker answers it from
   the journal, without running the request again.
Prints "durable journal ok" at the end.
"""

import os
import socket
import sys
import tempfile

import hypobus


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv):
    path = argv[0] if argv else os.path.join(tempfile.mkdtemp(prefix="hypobus-durable-"), "tasks.db")
    fe, be = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    ids = [f"order-{os.getpid()}-{i}" for i in range(5)]

    client = hypobus.TaskClient(fe, timeout=0.5, tries=40)  # lazy pirate: resends the same id every 0.5 s
    with hypobus.TaskBroker(fe, be, journal=path) as broker:
        for i, rid in enumerate(ids):
            client.submit(f"parcel {i}", id=rid)
        while broker.stats().requests < len(ids):
            try:
                client.next_result(timeout=0.05)
                raise SystemExit("an outcome came although no worker runs")
            except hypobus.Timeout:
                pass
        print(
            f"1. broker accepted {broker.stats().requests} requests into {path}; no worker yet; broker stops",
            flush=True,
        )

    with hypobus.TaskBroker(fe, be, journal=path) as broker:
        print(f"2. a new broker on the same file took up {broker.stats().recovered} requests", flush=True)
        with hypobus.TaskWorker(broker, handler=lambda job: b"shipped " + job.body):
            got = {r.id: r for r in client.results(timeout=20)}
        assert sorted(got) == sorted(ids) and all(r.ok for r in got.values()), got
        for rid in ids:
            print(f"   {rid}: {got[rid].body.decode()}", flush=True)
        client.close()
        with hypobus.TaskClient(broker) as other:
            r = other.fetch(ids[2], timeout=10)
            print(f"3. a new client fetched {r.id}: {r.status} {r.body.decode()}", flush=True)
            assert r.ok and r.body == b"shipped parcel 2", r
            unknown = other.fetch("never-sent", timeout=10)
            assert unknown.status == "unknown", unknown
        s = broker.stats()
        assert s.dispatched == len(ids), s  # each request ran once
    print("durable journal ok", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
