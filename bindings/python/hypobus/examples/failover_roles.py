#!/usr/bin/env python3
"""A primary/backup broker pair with the FailoverBroker role, in one
process: the primary is stopped, the backup takes over, the primary comes
back passive, the backup hands back. Events arrive on a callback (a
thread of the binding) and through the events() iterator.

usage: python -m hypobus.examples.failover_roles
"""

import socket

import hypobus


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


php, bhp = free_port(), free_port()
P_HB, B_HB = f"tcp://127.0.0.1:{php}", f"tcp://127.0.0.1:{bhp}"
ANY = "tcp://127.0.0.1:*"


def show(who):
    return lambda ev: print(f"{who}: {'active' if ev.active else 'passive'} ({ev.reason})", flush=True)


backup = hypobus.FailoverBroker(
    "backup", peer_hb=P_HB, hb=B_HB, xsub=ANY, xpub=ANY, hb_interval_ms=50, on_event=show("backup")
)
primary = hypobus.FailoverBroker("primary", peer_hb=B_HB, hb=P_HB, xsub=ANY, xpub=ANY, hb_interval_ms=50)
ev = primary.next_event(timeout=5)
print(f"primary: {'active' if ev.active else 'passive'} ({ev.reason})")
with hypobus.OpNode(1, brokers=[primary, backup]), hypobus.OpNode(2, brokers=[primary, backup]), hypobus.CalcNode(
    [primary, backup]
), hypobus.Client([primary, backup]) as client:
    print("through the primary:", client.hypot(12, 13))
    primary.close()
    print("primary stopped")
    ev = backup.next_event(timeout=5)
    print("through the backup:", client.hypot(12, 13))
    primary = hypobus.FailoverBroker("primary", peer_hb=B_HB, hb=P_HB, xsub=ANY, xpub=ANY, hb_interval_ms=50)
    print("primary restarted, active:", primary.active)
    for _ in range(100):  # the backup must hear the restarted primary first
        try:
            backup.handback(timeout=5)
            break
        except hypobus.ConfigError as e:
            last = e
            import time

            time.sleep(0.05)
    else:
        raise SystemExit(f"hand-back refused: {last}")
    ev = primary.next_event(timeout=5)
    print(f"primary: {'active' if ev.active else 'passive'} ({ev.reason})")
print("backup", backup.stats())
primary.close()
backup.close()
