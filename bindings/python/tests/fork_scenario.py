"""A Python program that uses libhypobus (a lab in-process, sockets with
traffic in flight) and then starts multiprocessing.Process children that
open sockets and roles of their own: `python fork_scenario.py METHOD ROUNDS`
(METHOD: fork, forkserver or spawn; or os.fork: a bare os.fork() whose
child leaves with sys.exit, so that the interpreter's finalization and
atexit handlers run on the objects inherited from the parent). Run as a separate process by
test_fork.py, because the failure it guards against kills the PARENT
(libzmq's assertion in mailbox.cpp, SIGABRT, when a forked child touched
the context it inherited). Prints "ok ROUNDS rounds" and exits 0 when every
child did its work and the parent stayed well; every wait is bounded."""

import multiprocessing as mp
import os
import sys
import time
import traceback

import hypobus
import hypobus.zmq as zmq

INHERITED = {}  # the parent's objects, which a forked child inherits


def child(rep_ep, pull_ep, brokers, i):
    if INHERITED:  # (fork only) refused here, and closing them is harmless
        try:
            INHERITED["client"].hypot(1, 1, timeout=1)
            raise AssertionError("a parent's client worked in the child")
        except hypobus.HypobusError as e:
            assert e.name == "HB_FORKED" and "fork" in str(e), repr(e)
        try:
            INHERITED["socket"].send(b"x", zmq.NOBLOCK)
            raise AssertionError("a parent's socket worked in the child")
        except zmq.ZMQError:
            pass
    ctx = zmq.Context.instance() if i % 2 else zmq.Context()
    req = ctx.socket(zmq.REQ)
    req.RCVTIMEO = req.SNDTIMEO = 10000
    req.LINGER = 2000
    req.connect(rep_ep)
    msg = f"child {i} pid {os.getpid()}"
    req.send_string(msg)
    assert req.recv_string() == "re: " + msg
    push = ctx.socket(zmq.PUSH)
    push.LINGER = 5000
    push.connect(pull_ep)
    for k in range(3):
        push.send_string(f"{i}.{k}")
    # A role of the child's own: a client of the parent's lab.
    with hypobus.Client(brokers) as c:
        assert c.hypot(3, 4) == "5.0000", "the child's hypotenuse"
    push.close()
    req.close()
    for obj in INHERITED.values():
        obj.close()
    if not i % 2:
        ctx.term()


class Child:
    """A multiprocessing.Process, or a bare os.fork() child with the same face."""

    def __init__(self, method, args):
        self.exitcode = None
        if method != "os.fork":
            self.p = mp.Process(target=child, args=args)
            self.p.start()
            return
        self.p = None
        self.pid = os.fork()
        if self.pid == 0:
            code = 0
            try:
                child(*args)
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.exit(code)  # finalization and atexit run in the child

    def join(self, timeout):
        if self.p is not None:
            self.p.join(timeout)
            self.exitcode = self.p.exitcode
            return
        end = time.monotonic() + timeout
        while self.exitcode is None and time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
            else:
                time.sleep(0.01)

    def is_alive(self):
        return self.p.is_alive() if self.p is not None else self.exitcode is None

    def kill(self):
        if self.p is not None:
            self.p.kill()
        else:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
            self.exitcode = -9


def main():
    method, rounds = sys.argv[1], int(sys.argv[2])
    if method != "os.fork":
        mp.set_start_method(method)
    ctx = zmq.Context.instance()
    lab = hypobus.Lab()
    client = hypobus.Client(lab.brokers)
    assert client.hypot(12, 13) == "17.6918"
    rep = ctx.socket(zmq.REP)
    rep_ep = "tcp://127.0.0.1:%d" % rep.bind_to_random_port("tcp://127.0.0.1")
    pull = ctx.socket(zmq.PULL)
    pull_ep = "tcp://127.0.0.1:%d" % pull.bind_to_random_port("tcp://127.0.0.1")
    mine = ctx.socket(zmq.REQ)
    mine.connect(rep_ep)
    INHERITED.update(client=client, socket=mine)
    poller = zmq.Poller()
    poller.register(rep, zmq.POLLIN)
    poller.register(pull, zmq.POLLIN)
    for i in range(rounds):
        pending = client.submit(5, 12)  # a request in flight across the fork
        p = Child(method, (rep_ep, pull_ep, lab.brokers, i))
        served, pushed = False, []
        deadline = 30000
        while (not served or len(pushed) < 3) and deadline > 0:
            ready = dict(poller.poll(200))
            deadline -= 200
            if rep in ready:
                rep.send_string("re: " + rep.recv_string())
                served = True
            if pull in ready:
                pushed.append(pull.recv_string())
        p.join(30)
        if p.is_alive():
            p.kill()
            p.join(5)
            sys.exit(f"round {i}: the child hung ({method})")
        if p.exitcode != 0:
            sys.exit(f"round {i}: the child's exit code is {p.exitcode} ({method})")
        if not served or sorted(pushed) != [f"{i}.{k}" for k in range(3)]:
            sys.exit(f"round {i}: served={served}, pushed={pushed} ({method})")
        # The parent is undisturbed: its pending answer, a new one, its own REQ.
        r = client.next_result(timeout=10)
        assert r.id == pending and r.value == "13.0000", f"parent's pending answer: {r}"
        assert client.hypot(12, 13) == "17.6918"
        mine.send(b"ping")
        assert rep.poll(5000) and rep.recv() == b"ping"
        rep.send(b"pong")
        assert mine.poll(5000) and mine.recv() == b"pong"
    for s in (mine, rep, pull):
        s.close()
    client.close()
    lab.close()
    ctx.term()
    print(f"ok {rounds} rounds ({method})", flush=True)


if __name__ == "__main__":
    main()
