#!/usr/bin/env python3
"""A task client with many requests in flight (hypobus.TaskClient):
submit() sends each at once and returns its id; results() yields the
outcomes as they come, each exactly once.

usage: python -m hypobus.examples.task_client FRONTEND_EP [N] [--service S]
       python -m hypobus.examples.task_client      (a broker and 3 workers in this process, 1000 requests)

Prints how many were answered (and by which worker), then "task client ok".
"""

import argparse
import collections
import sys
import time

import hypobus


def run(frontend, n, service=None):
    with hypobus.TaskClient(frontend, timeout=2.0, tries=5) as c:
        t = time.monotonic()
        sent = {c.submit(f"job {i}", service=service): f"job {i}" for i in range(n)}
        by = collections.Counter()
        seen = set()
        for r in c.results(timeout=20):
            assert r.id in sent and r.id not in seen, r
            seen.add(r.id)
            if not r.ok:
                print(f"{r.id}: {r.status} {r.error}", flush=True)
                continue
            who, _, body = r.body.decode().partition(":")
            assert body == sent[r.id].upper(), (r, sent[r.id])
            by[who] += 1
        took = time.monotonic() - t
        print(
            f"{n} requests, {sum(by.values())} answered in {took:.2f} s ({n / took:.0f}/s); by worker: "
            + ", ".join(f"{w} {k}" for w, k in sorted(by.items())),
            flush=True,
        )
        print(c.stats(), flush=True)
        return sum(by.values()) == n and len(seen) == n


def main(argv):
    ap = argparse.ArgumentParser(prog="python -m hypobus.examples.task_client", description=__doc__.split("\n")[0])
    ap.add_argument("frontend", nargs="?")
    ap.add_argument("n", nargs="?", type=int, default=1000)
    ap.add_argument("--service", default=None)
    a = ap.parse_args(argv)
    if a.frontend:
        ok = run(a.frontend, a.n, a.service)
    else:

        def upper(tag):
            return lambda job: tag.encode() + b":" + job.body.upper()

        with hypobus.TaskBroker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*") as b:
            workers = [hypobus.TaskWorker(b, handler=upper(f"W{i}"), threads=2) for i in range(3)]
            try:
                ok = run(b.clients_connect_to, a.n, a.service)
            finally:
                for w in workers:
                    w.close()
    if not ok:
        sys.exit("task client: not every request was answered")
    print("task client ok", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
