#!/usr/bin/env python3
"""A task worker whose handler is a plain Python function, run by
hypobus.TaskWorker on a bounded pool of Python threads.

usage: python -m hypobus.examples.task_worker BACKEND_EP [--threads N] [--services A,B] [--load N] [--tag NAME]

`handle` below answers "<tag>:" + the request upper-cased. A request
"fail" makes it raise (the client gets the exception as a failed task; the
worker goes on); a request "sleep:S" sleeps S seconds first (a slow job).
Prints "task worker ready", "working on ID" for every job, and its counters
at the end (Ctrl-C or SIGTERM). The worker heartbeats with the broker and
registers again by itself when the broker restarts.
"""

import argparse
import signal
import sys
import threading
import time

import hypobus

TAG = "worker"


def handle(job):
    print(f"working on {job.id} service {job.service or '-'}", flush=True)
    if job.body == b"fail":
        raise ValueError("this worker refuses 'fail'")
    if job.body.startswith(b"sleep:"):
        time.sleep(float(job.body[6:]))
    return TAG.encode() + b":" + job.body.upper()


def main(argv):
    global TAG
    ap = argparse.ArgumentParser(prog="python -m hypobus.examples.task_worker", description=__doc__.split("\n")[0])
    ap.add_argument("backend")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--services", default=None, help="comma-separated (default: the default service)")
    ap.add_argument("--load", type=int, default=None, help="the load reported (policy load); default automatic")
    ap.add_argument("--tag", default="worker")
    a = ap.parse_args(argv)
    TAG = a.tag
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with hypobus.TaskWorker(
        a.backend, handler=handle, threads=a.threads, services=a.services, load=a.load, name=a.tag
    ) as w:
        print(f"task worker ready: {a.tag} threads {a.threads} services {a.services or '(default)'}", flush=True)
        try:
            while not stop.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
        print(w.stats(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
