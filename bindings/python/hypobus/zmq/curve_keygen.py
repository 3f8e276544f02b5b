"""Print a new CURVE key pair (or the public key of a secret key):
`python3 -m hypobus.zmq.curve_keygen [--json] [--secret KEY]`, as pyzmq's
`python3 -m zmq.curve_keygen`."""

import argparse
import json
import sys


def main(argv=None):
    import hypobus.zmq as zmq

    name = __spec__.name if __spec__ is not None else "hypobus.zmq.curve_keygen"
    p = argparse.ArgumentParser(prog=f"python3 -m {name}", description="Generate a CURVE key pair (Z85 text).")
    p.add_argument("--json", action="store_true", help="print {'public': ..., 'secret': ...} as JSON")
    p.add_argument("--secret", help="derive the public key of this Z85 secret key instead of making a new pair")
    a = p.parse_args(argv)
    if a.secret:
        secret = a.secret.encode("ascii")
        try:
            public = zmq.curve_public(secret)
        except zmq.ZMQError as e:
            p.error(f"--secret: {e}")
    else:
        public, secret = zmq.curve_keypair()
    pub, sec = public.decode("ascii"), secret.decode("ascii")
    if a.json:
        print(json.dumps({"public": pub, "secret": sec}))
    else:
        print(f"== CURVE PUBLIC KEY ==\n{pub}\n== CURVE SECRET KEY ==\n{sec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
