#!/usr/bin/env bash
# The Python binding's tests, as a user would install it: a fresh
# virtualenv under target/, `pip install ./bindings/python` (which builds
# the Rust library with cargo and puts it inside the package), pytest,
# pyzmq (interop), build and setuptools-rust (the wheel test); the hypobus
# CLI and gcc for the mixed lab. Runs every test file in
# bindings/python/tests: the socket layer and pyzmq surface, the roles,
# asyncio, Ctrl-C, every example end to end, interop with real pyzmq, the
# mixed lab, the wheel installed without cargo. Bounded in time.
# Last line: "N passed, M failed".
#
#   bash bindings/python/run-tests.sh            (from anywhere)
#   HB_PY_REUSE_VENV=1 bash bindings/python/run-tests.sh   (keep the virtualenv: faster reruns)
#   bash bindings/python/run-tests.sh -k interop          (extra arguments go to pytest)
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV="$ROOT/target/py-venv"
LOG="$ROOT/target/py-tests"
mkdir -p "$LOG"

fail_setup() {
    echo "setup failed: $1"
    echo "0 passed, 1 failed"
    exit 1
}

echo "# cargo build --release (library and the hypobus CLI)"
cargo build --release >"$LOG/cargo.log" 2>&1 || { cat "$LOG/cargo.log"; fail_setup "cargo build --release"; }

if [ "${HB_PY_REUSE_VENV:-0}" != 1 ] || [ ! -x "$VENV/bin/python" ]; then
    echo "# fresh virtualenv $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || fail_setup "python3 -m venv"
fi
PY="$VENV/bin/python"
echo "# pip install pytest pyzmq build setuptools-rust wheel"
"$PY" -m pip install --quiet --disable-pip-version-check pytest pyzmq build setuptools-rust wheel \
    >"$LOG/pip-tools.log" 2>&1 || { cat "$LOG/pip-tools.log"; fail_setup "pip install of the test tools"; }
echo "# pip install ./bindings/python"
"$PY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings/python \
    >"$LOG/pip-install.log" 2>&1 || { cat "$LOG/pip-install.log"; fail_setup "pip install ./bindings/python"; }
rm -rf bindings/python/build bindings/python/hypobus.egg-info

echo "# pytest bindings/python/tests"
# Run from outside the source tree, so that `import hypobus` is the installed package.
cd "$LOG"
timeout 900 "$PY" -m pytest -p no:cacheprovider -q -rfE --durations=10 "$ROOT/bindings/python/tests" "$@" 2>&1 |
    tee "$LOG/pytest.log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|^(=+ )?.*[0-9]+ (passed|failed)' "$LOG/pytest.log" | tail -n1)
passed=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
failed=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
errors=$(echo "$summary" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || true)
passed=${passed:-0}
failed=$((${failed:-0} + ${errors:-0}))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # pytest died, timed out or collected nothing
    echo "pytest exit code $rc"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
