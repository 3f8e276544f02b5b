#!/usr/bin/env python3
"""Write the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the
examples of the library's tests: the frames of src/wire/lab.rs's tests, the
broker lists of src/lab/brokers.rs's and the CLI's, the heartbeats and
control words of src/lab/failover.rs, the watch traces of
src/watch/trace/mod.rs, the task frames of docs/PROTOCOL.md, the C ABI
arguments of tests/*.rs. Frames are joined with 0xff, messages with 0xfe
(fuzz/src/lib.rs). Run it again after changing it; the fuzz runs add their
finds to the same folders (scripts/fuzz.sh keeps only the seeds committed)."""

import hashlib
import pathlib

F, M = b"\xff", b"\xfe"
here = pathlib.Path(__file__).resolve().parent


def msg(*frames):
    return F.join(f if isinstance(f, bytes) else f.encode() for f in frames)


def write(target, inputs):
    d = here / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    for data in inputs:
        (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)


write(
    "lab_wire",
    [
        msg("calc.request.1#abc.1", "12", "13"),
        msg("calc.request.2#3f9a0c21b7d45e60.17", "1.5", "2"),
        msg("calc.square.request.1#c.node.1", "3000000000000000", "4000000000000000"),
        msg("calc.square.result.12", "144"),
        msg("calc.hypotenuse.result", "17.6918"),
        msg("calc.hypotenuse.reply#x.1", 'ERR cathetus a: not a decimal number: "abc"'),
        msg("calc.request.01", "1e200", "1e200"),
        msg("calc.request.1#", "4294967297", "1"),
        msg("calc.request.1#a b", " 12\n", ".5"),
        msg("nonsense", "5.", "007"),
        msg("calc.request.1", "1000000000000000", "1"),
        msg("calc.request.2", "0.1", "0"),
        msg("calc.request.1", "abc", "nan"),
        msg("calc.request.1", "-3", "inf"),
        msg("calc.request.1", "1e400", "1.2.3"),
        msg("calc.request.1", "+3", "0x10"),
        msg("calc.request.1", "1e", "e5"),
    ],
)

write(
    "broker_list",
    [
        s.encode()
        for s in [
            "",
            "10.0.0.2",
            "h:6555:6556",
            "[::1]:6555:6556",
            "[::1]",
            "tcp://127.0.0.1:40001|tcp://127.0.0.1:40002",
            "inproc:lab",
            "a:1:2,tcp://b:3|tcp://b:4",
            "127.0.0.1:5555:5556, 127.0.0.1:6555:6556",
            "ipc:///tmp/x|inproc://y",
            "h:1",
            "h:0:1",
            "h:1:2:3",
            "[::1",
            "[zz]:1:2",
            "tcp://h:1|udp://h:2",
            "a,,b",
            "primary",
            "backup",
            "lru",
            "load",
        ]
    ],
)

write(
    "failover",
    [
        msg("HB"),
        msg("HB.state", "primary", "active"),
        msg("HB.state", "backup", "passive"),
        msg("HB.state", "primary"),
        msg("status"),
        msg(" handback\n"),
        msg("stop"),
        msg("status", ""),
        b"\xc3\x28",
    ],
)


def trace(*messages):
    """(dt_ms, broker, frames...) -> control byte + frames, joined."""
    return M.join(bytes([(dt << 1) | broker]) + msg(*frames) for dt, broker, *frames in messages)


tag = "3f9a0c21b7d45e60.17"
write(
    "trace",
    [
        trace(
            (0, 0, f"calc.request.1#{tag}", "12"),
            (0, 0, f"calc.request.2#{tag}", "13"),
            (1, 0, f"calc.square.request.1#{tag}", "12"),
            (0, 0, f"calc.square.request.2#{tag}", "13"),
            (1, 0, f"calc.square.result.1#{tag}", "144"),
            (0, 0, f"calc.square.result.2#{tag}", "169"),
            (1, 0, f"calc.hypotenuse.reply#{tag}", "17.6918"),
        ),
        trace(
            (0, 0, "calc.request.1#aa.1", "5"),
            (0, 0, "calc.request.2#aa.1", "12"),
            (0, 0, "calc.square.request.1#aa.1", "5"),
            (0, 0, "calc.square.request.2#aa.1", "12"),
            (0, 0, "calc.square.result.2#aa.1", "144"),
            (20, 0, "calc.square.request.1#aa.1", "5"),
            (0, 1, "calc.square.request.1#aa.1", "5"),
            (30, 0, "hypobus.obs.calc", "fallback", "aa.1", "lane=1 no square in 300 ms"),
            (0, 0, "calc.hypotenuse.reply#aa.1", "13.0000"),
            (0, 0, "calc.hypotenuse.reply#aa.1", "13.0000"),
        ),
        trace(
            (0, 0, "calc.request.1", "12"),
            (0, 0, "calc.request.2", "13"),
            (0, 0, "calc.square.request.1#c.node.1", "12"),
            (0, 0, "calc.square.request.2#c.node.1", "13"),
            (0, 0, "calc.square.result.2", "169"),
            (0, 0, "calc.square.result.1", "144"),
            (0, 0, "calc.hypotenuse.result", "17.6918"),
        ),
        trace(
            (0, 0, "calc.request.1", "3"),
            (0, 0, "calc.request.2", "4"),
            (0, 0, "calc.square.request.1", "3"),
            (0, 0, "calc.square.request.2", "4"),
            (0, 0, "calc.square.result.2", "16"),
            (100, 0, "calc.hypotenuse.result", "5.0000"),
        ),
        trace(
            (0, 0, "calc.request.1#x.1", "abc"),
            (0, 0, "calc.request.2#x.1", "4"),
            (0, 0, "calc.hypotenuse.reply#x.1", 'ERR cathetus a: not a decimal number: "abc"'),
            (0, 0, "calc.request.1#x.2", "1"),
        )
        + M
        + b"\xf2"
        + M
        + trace((0, 0, "calc.request.1#x.3", "1"))
        + M
        + b"\xf3",
        trace(
            (0, 0, "hypobus.obs.broker", "state", "", "primary active: started"),
            (0, 1, "hypobus.obs.op.1", "refused", "t.1", "bad"),
        )
        + M
        + b"\xf1"
        + M
        + trace((0, 0, "calc.square.result.1", "144")),
    ],
)


def task(*messages):
    """(dest, frames...) -> dest byte + frames, joined (task_frames.rs)."""
    return M.join(bytes([dest]) + msg(*frames) for dest, *frames in messages)


write(
    "task_frames",
    [
        task((0, "", "HBTC01", "REQUEST", "id-1", "echo", "body"), (0, "", "HBTC01", "FETCH", "id-1")),
        task((1, "", "HBTC01", "REQUEST", "id-2", "", "x", "peer")),
        task((0, "", "hello")),
        task((2, "", "HBTW01", "READY", "echo,calc.B", "2", "0"), (0, "", "HBTC01", "REQUEST", "id-3", "echo", "b")),
        task((2, "", "HBTW01", "REPLY", "fz:1", "OK", "result", "1"), (2, "", "HBTW01", "HEARTBEAT", "5")),
        task((3, ""), (3, "", ""), (3, "", "READY"), (0, "", "course request"), (3, "", "k1:0", "", "reply")),
        task((2, "", "HBTW01", "DISCONNECT"), (3, "", "", "", "")),
        task((4, "", "HBTW01", "REQUEST", "tok", "id", "svc", "body"), (4, "", "HBTW01", "HEARTBEAT")),
        task((4, "", "HBTW01", "DISCONNECT")),
        task((5, "", "HBTC01", "REPLY", "fz-sync-2", "OK", "body"), (5, "", "HBTC01", "REPLY", "id", "PENDING", "")),
        task((5, "", "HBTC01", "REPLY", "id", "ERR", "no worker"), (5, "", "HBTC01", "REPLY", "id", "UNKNOWN", "")),
    ],
)

write(
    "c_abi",
    [
        msg(b"\x05", "inproc:fzabi", "12", "13", "ipc", "hello", b"\x06sub", "echo", "payload", "req-1"),
        msg(b"\x00", "127.0.0.1", "abc", "-3", "curve", "", b"\x05id", "bad service", "", ""),
        msg(
            b"\x0b",
            "inproc:nobody, inproc:fzabi",
            "1.5",
            "1e3",
            "draft",
            "a\x00b",
            b"\x1b\x01\x00\x00\x00",
            "",
            "x" * 40,
            "id with space",
        ),
        msg(b"\x10", "h:1", "", "nan", "", "multi part message body", b"\x11", "svc/a:b", "", "r" * 129),
        msg(b"\x03", "tcp://h:1|", " 7 ", "0", "gssapi", "z", b"\x0e\x10\x27", "calc.B", "\x00\x01", "fetch-me"),
    ],
)
