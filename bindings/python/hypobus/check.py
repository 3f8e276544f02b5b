"""`python -m hypobus.check ROLE [options] -- COMMAND...`: the same as
`hypobus check` (docs/CHECK.md): grade a program that plays a role of the
lab. It runs the `hypobus` command-line tool, found as $HYPOBUS_BIN, on the
PATH, or in the repository's target/release (running from a checkout), with
the same arguments and exit status.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import sys


def find_tool():
    """The `hypobus` executable, or None."""
    env = os.environ.get("HYPOBUS_BIN")
    if env:
        return env if os.path.isfile(env) else None
    on_path = shutil.which("hypobus")
    if on_path:
        return on_path
    # bindings/python/hypobus/check.py -> the repository root is 3 levels up.
    repo = pathlib.Path(__file__).resolve().parents[3]
    built = repo / "target" / "release" / "hypobus"
    return str(built) if built.is_file() else None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    tool = find_tool()
    if tool is None:
        print(
            "hypobus.check: the hypobus command-line tool was not found: set $HYPOBUS_BIN, put it on the PATH, "
            "or build it (cargo build --release in the libhypobus repository)",
            file=sys.stderr,
        )
        return 3
    sys.stdout.flush()
    os.execv(tool, [tool, "check", *argv])
    return 3  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main())
