#!/usr/bin/env python3
"""Calculation server of the original hypotenuse lab, as the students wrote it,
running unchanged on libhypobus: the original pyzmq program
(hypobus/examples/original/orig_calc.py, byte for byte) run with `import zmq`
giving hypobus.zmq.

usage: python -m hypobus.examples.calc_server BROKER [BROKER2]
BROKER is HOST:XSUB_PORT:XPUB_PORT (e.g. 127.0.0.1:5555:5556).

Collects one cathetus on calc.request.1 and one on calc.request.2, republishes
them on calc.square.request.1/2, waits up to 2 s for calc.square.result.1/2
(ignoring duplicates), computes any missing square itself, and publishes
sqrt(a^2 + b^2) with 4 decimals on calc.hypotenuse.result. One request at a
time, paired in arrival order: the original's design.
"""

from hypobus.examples._original import run

if __name__ == "__main__":
    run("orig_calc")
