#!/usr/bin/env bash
# The JavaScript and TypeScript of the Node binding (bindings/node: lib,
# index.js, index.d.ts, bench.js, scripts, test, examples) and of the Node
# ABI tests (tests/abi/node) are formatted by prettier, at the version pinned
# in bindings/node/package.json, with the one configuration .prettierrc.json
# (the course-style examples without semicolons, as the course writes them).
# Installs what it needs (npm ci in bindings/node, unless the pinned prettier
# is there already), then `prettier --check`;
# exits non-zero, naming the files, when one is not formatted.
#
#   bash scripts/check-js.sh            check
#   bash scripts/check-js.sh --write    format them
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=('bindings/node/**/*.{js,ts}' 'tests/abi/node/**/*.js')

# npm ci when prettier is missing or is not the pinned version.
pinned=$(node -p "require('./bindings/node/package.json').devDependencies.prettier")
have=$(node -p "try { require('./bindings/node/node_modules/prettier/package.json').version } catch { '' }")
if [ "$have" != "$pinned" ]; then
    (cd bindings/node && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
mode=--check
if [ "${1:-}" = --write ]; then mode=--write; fi
exec bindings/node/node_modules/.bin/prettier "$mode" "${FILES[@]}"
