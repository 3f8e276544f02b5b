"""Run one of the original lab's programs (hypobus/examples/original/, the
students' pyzmq code byte for byte) unchanged on libhypobus: `import zmq`
inside it gives `hypobus.zmq`. The classic tests run the same files with the
real pyzmq, as the peers they were written to be."""

import os
import runpy
import sys

import hypobus.zmq

ORIGINAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "original")


def run(name):
    """Run original/NAME.py as __main__ with this process's argv, zmq = hypobus.zmq."""
    path = os.path.join(ORIGINAL, name + ".py")
    sys.modules["zmq"] = hypobus.zmq
    sys.argv[0] = path
    runpy.run_path(path, run_name="__main__")
