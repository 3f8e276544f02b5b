"""Child of test_exit_with_busy_op_callback: starts a lab whose lane-1
operation node is a Python function (a ctypes callback), submits 2000
requests, waits until the callback is busy, and ends the script without
freeing anything. The process must exit cleanly (status 0)."""

import sys
import time
from ctypes import byref, c_int32, c_uint64, c_void_p, create_string_buffer

import hbabi as hb

calls = 0


def square(_user, x, out):
    global calls
    calls += 1
    out[0] = x * x
    return 0


lab = hb.Lab(op_lanes=(2,))
cb = hb.OPFN(square)
op = c_void_p()
hb.check(hb.hb_op_new(lab.brokers, 1, cb, None, byref(op)), "op with a Python callback")
client = c_void_p()
hb.check(hb.hb_client_new(lab.brokers, 0, 10000, byref(client)), "client")
rid = c_uint64()
for i in range(2000):
    hb.check(hb.hb_client_submit(client, str(i).encode(), b"1", 10000, byref(rid)), "submit")
until = time.monotonic() + 20
got, result = c_uint64(), c_int32()
buf = create_string_buffer(hb.HB_TEXT_MAX)
while calls < 50 and time.monotonic() < until:
    hb.hb_client_next(
        client, 20, byref(got), byref(result), buf, len(buf), None
    )  # drives the client; answers are dropped
print(f"callback calls before exit: {calls}", flush=True)
sys.exit(0 if calls >= 50 else 3)
