#!/usr/bin/env bash
# Runs every test of libhypobus on a fresh machine (Rust, gcc, Python 3 and
# Node present): installs what the tests need, builds, checks the header is
# fresh and clippy is clean, then runs the Rust tests, every fuzz target for
# 60 s, a 60-second chaos soak (scripts/soak.sh), the C, classic-peer,
# browser (hypobus watch in headless Chromium) and ABI (Python ctypes, Node
# koffi) suites, and the release artifacts (scripts/dist.sh,
# tests/dist/smoke.sh: x86-64, arm64 under qemu); with HB_SANITIZERS=1 also
# the sanitizer runs (scripts/sanitizers.sh).
# Ends with "suites: N passed, M failed" and a non-zero exit if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }
passed=0
failed=0
failures=()
run() { # run NAME COMMAND...
    local name=$1
    shift
    step "$name"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
    fi
}

step "python packages (pyzmq, pytest, selenium) into a virtualenv: target/test-venv"
VENV="$PWD/target/test-venv"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || {
        echo "cannot make a virtualenv (python3 -m venv)"
        exit 1
    }
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check pyzmq pytest selenium || {
    echo "cannot install pyzmq/pytest/selenium"
    exit 1
}
PY="$VENV/bin/python"

step "node packages (koffi) for the ABI tests from Node"
(cd tests/abi/node && npm ci --no-audit --no-fund --loglevel=error) || {
    echo "cannot install the node packages of tests/abi/node (npm ci)"
    exit 1
}

step "node packages (mermaid) for the browser tests of hypobus watch"
(cd tests/watch_browser && npm ci --no-audit --no-fund --loglevel=error) || {
    echo "cannot install the node packages of tests/watch_browser (npm ci)"
    exit 1
}

step "system packages (iproute2 for the partition test, valgrind and pkg-config for the C tests)"
if ! command -v pkg-config >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq pkg-config) || echo "could not install pkg-config: the C install test will report it"
    fi
fi
if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq valgrind) || echo "could not install valgrind: the C API tests will report it"
    fi
fi
if ! command -v ip >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq iproute2) || echo "could not install iproute2: the partition test will report it"
    else
        echo "no 'ip' command and no way to install it: the partition test will report it"
    fi
fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) || echo "could not install chromium: the browser tests will report it"
    fi
fi
if ! command -v qemu-aarch64-static >/dev/null 2>&1 || ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 ||
    ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq qemu-user-static gcc-aarch64-linux-gnu debootstrap) ||
            echo "could not install qemu-user-static, gcc-aarch64-linux-gnu, debootstrap: the arm64 release tests will report it"
    fi
fi
command -v ip >/dev/null 2>&1 && ip -V
# As root the partition test can make its namespaces, so it must not skip.
if [ "$(id -u)" -eq 0 ]; then export HYPOBUS_REQUIRE_NETNS=1; fi

step "build (release: library, CLI, header)"
cargo build --release --all-targets || exit 1

header_fresh() {
    # build.rs regenerated include/hypobus.h; it must equal the committed one.
    if git rev-parse --git-dir >/dev/null 2>&1; then
        if [ -n "$(git status --porcelain -- include/hypobus.h)" ]; then
            echo "include/hypobus.h is stale or uncommitted: commit the regenerated header"
            git --no-pager diff --stat -- include/hypobus.h
            return 1
        fi
    fi
    echo "header is fresh"
}
run "header is fresh" header_fresh
fmt_check() { cargo fmt --all --check && cargo fmt --manifest-path fuzz/Cargo.toml --all --check; }
run "cargo fmt --check (rustfmt.toml; the workspace and fuzz/)" fmt_check
run "binding tables are fresh (scripts/gen-bindings.py --check)" python3 scripts/gen-bindings.py --check
run "JS format (prettier --check, scripts/check-js.sh)" bash scripts/check-js.sh
run "Python format and lint (ruff, scripts/check-python.sh)" bash scripts/check-python.sh
run "header: every function says its threads and waits" python3 tests/c/header_docs.py
run "clippy -D warnings" cargo clippy --release --all-targets -- -D warnings
run "no import cycle in the library (scripts/import-graph.py)" python3 scripts/import-graph.py src
run "rust tests (unit, roles over loopback)" env HYPOBUS_REQUIRE_ALL=1 cargo test --release
run "task journal on PostgreSQL (real server, scripts/pg.sh)" bash scripts/pg.sh
run "fuzz: every parser for 60 s (scripts/fuzz.sh)" bash scripts/fuzz.sh
run "chaos soak: the lab and a task broker as processes, a role killed or stopped every 2-5 s for 60 s, nothing wrong, lost or doubled (scripts/soak.sh 60)" env HB_SKIP_BUILD=1 bash scripts/soak.sh 60
run "C examples and C API tests" bash tests/c/run.sh
run "C users: make install, pkg-config, dynamic and static" bash tests/c/install.sh
pytest_classic() {
    HYPOBUS_BIN="$PWD/target/release/hypobus" "$PY" -m pytest tests/classic -q
}
run "classic pyzmq peers against the library" pytest_classic
pytest_browser() {
    HYPOBUS_BIN="$PWD/target/release/hypobus" "$PY" -m pytest tests/watch_browser -q
}
run "hypobus watch: live page in headless Chromium, Mermaid exports rendered" pytest_browser
run "C ABI from Python (ctypes)" "$PY" -m pytest tests/abi/python -q
abi_node() { (cd tests/abi/node && node --test); }
run "C ABI from Node (koffi)" abi_node
# The sanitizer builds (the library with ASan, the tests and std with TSan)
# take longer than the rest of the command on CI's two cores: behind a flag.
# The last results are in docs/RELIABILITY.md.
if [ "${HB_SANITIZERS:-0}" = 1 ]; then
    run "sanitizers: C and ABI tests under ASan + UBSan, handle and stop/free races under TSan (scripts/sanitizers.sh)" \
        bash scripts/sanitizers.sh
else
    step "sanitizers: skipped (HB_SANITIZERS=1 runs scripts/sanitizers.sh; last results in docs/RELIABILITY.md)"
fi
run "Python binding (bindings/python)" bash bindings/python/run-tests.sh
run "pyzmq's own suite on hypobus.zmq (../shared/peer-suites/pyzmq)" bash bindings/python/peer-suite.sh
run "Node binding (bindings/node)" env HB_SKIP_BUILD=1 bash bindings/node/run-tests.sh
# The release artifacts (scripts/dist.sh: wheels, npm packages, C tarballs for
# x86-64 and arm64) installed where they run, arm64 under qemu; HB_DIST_FULL=1
# for the fuller run (every CPython, the Python binding's tests on the wheel).
run "release artifacts: dist/ built and installed, x86-64 and arm64 under qemu (tests/dist/smoke.sh)" bash tests/dist/smoke.sh
run "zeromq.js's own v5-compat suite on the Node binding (../shared/peer-suites/zeromq.js)" env HB_SKIP_BUILD=1 bash bindings/node/peer-suite.sh

step "summary"
for f in "${failures[@]+"${failures[@]}"}"; do echo "FAILED: $f"; done
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
