#!/usr/bin/env bash
# The repository's Python files, as ruff.toml says: formatted (`ruff format
# --check`) and lint-clean (`ruff check`). Installs ruff at the version
# pinned below into a virtualenv under target/ if it is not there yet.
# Exits non-zero if a file would be reformatted or a rule is broken.
#
#   bash scripts/check-python.sh          (from anywhere)
#   bash scripts/check-python.sh --fix    (format the files and apply ruff's safe fixes, then check)
set -u
cd "$(dirname "$0")/.."
RUFF_VERSION=0.17.6
VENV=target/ruff-venv
RUFF=$VENV/bin/ruff

if [ ! -x "$RUFF" ] || [ "$("$RUFF" --version 2>/dev/null)" != "ruff $RUFF_VERSION" ]; then
    echo "# pip install ruff==$RUFF_VERSION into $VENV"
    { [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"; } &&
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "ruff==$RUFF_VERSION" || {
        echo "cannot install ruff $RUFF_VERSION"
        exit 2
    }
fi

if [ "${1:-}" = --fix ]; then
    "$RUFF" format . && "$RUFF" check --fix .
fi

rc=0
echo "# ruff format --check"
"$RUFF" format --check . || rc=1
echo "# ruff check"
"$RUFF" check . || rc=1
if [ "$rc" -eq 0 ]; then
    echo "python: formatted and lint-clean"
else
    echo "python: problems above (bash scripts/check-python.sh --fix formats and applies the safe fixes)"
fi
exit "$rc"
