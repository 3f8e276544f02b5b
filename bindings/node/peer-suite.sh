#!/usr/bin/env bash
# zeromq.js's own v5-compat test suite (../shared/peer-suites/zeromq.js, as
# copied from github.com/zeromq/zeromq.js, test bodies unchanged) against the
# hypobus package as a user gets it: `npm pack` of bindings/node (its prepack
# puts target/release/libhypobus.so in native/), `npm install` of that
# tarball in a temporary project with mocha 11, chai 4, ts-node 10,
# typescript 5, semver and proper-lockfile from npm, the suite copied in,
# and three one-line path files that re-export the installed package where
# the suite imports zeromq.js's sources:
#   v5-compat.js   (the tests' `../../../v5-compat`)
#   src/index.js   (helpers.ts's `../../src`: version, capability, context)
#   src/errors.js  (`../../../src/errors`: isFullError)
# Each test file runs in its own mocha process (the suite's .mocharc.js with
# serial runs, no retries, 10 s per test, --no-exit so that each file must
# end by itself), bounded by timeout(1), so a hang or a crash loses one file.
#
# Every test must pass, the three CURVE ones included (libhypobus's libzmq
# has CURVE on libsodium, so zmq.capability.curve is true).
# zmq-proxy-push-pull-test.ts runs with mocha's --exit: its afterEach closes
# only one of each test's sockets, so the proxy and the others stay open and
# keep the process alive, with zeromq 6 as with hypobus (the suite's own
# .mocharc.js has exit: true for every file).
#
# Prints one line per file and a last line "zeromq.js suite: N passed, M
# failed, P pending"; exits non-zero if a test fails or does not run, or a
# file is killed or crashes.
#
#   bash bindings/node/peer-suite.sh      (HB_SKIP_BUILD=1: no cargo build;
#                                          HB_PEER_SUITE=DIR: another copy)
set -u
cd "$(dirname "$0")"
PKG=$PWD
ROOT=$(cd ../.. && pwd)
SUITE=${HB_PEER_SUITE:-$ROOT/../shared/peer-suites/zeromq.js}
[ -d "$SUITE" ] && SUITE=$(cd "$SUITE" && pwd)
OUT="$ROOT/target/peer-suite"
FILE_BOUND=120 # seconds per test file (the slowest takes ~4 s)

EXIT_FILES=(zmq-proxy-push-pull-test.ts)

die() {
  echo "peer-suite: $1" >&2
  echo "zeromq.js suite: 0 passed, 1 failed, 0 pending"
  exit 1
}

[ -d "$SUITE/test/unit/compat" ] || die "no zeromq.js suite at $SUITE (HB_PEER_SUITE=DIR to give one)"
command -v npm >/dev/null || die "npm is not installed"
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.json

if [ "${HB_SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && timeout 1800 cargo build --release --lib) >"$OUT/cargo.log" 2>&1 ||
    { tail -30 "$OUT/cargo.log"; die "cargo build --release --lib failed"; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hypobus-peer-suite.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RUN="$WORK/run"
mkdir -p "$RUN"

timeout 300 npm pack --pack-destination "$WORK" >"$OUT/pack.log" 2>&1 || { cat "$OUT/pack.log"; die "npm pack failed"; }
TARBALL=$(ls "$WORK"/hypobus-*.tgz 2>/dev/null | head -1)
[ -n "$TARBALL" ] || die "npm pack made no tarball"

cat >"$RUN/package.json" <<'EOF'
{ "name": "hypobus-zeromqjs-suite", "private": true, "version": "0.0.0" }
EOF
(cd "$RUN" && timeout 600 npm install --no-audit --no-fund --loglevel=error \
  "$TARBALL" mocha@^11 chai@^4 ts-node@^10.9 typescript@~5.9 semver@^7 proper-lockfile@^4) >"$OUT/npm.log" 2>&1 ||
  { cat "$OUT/npm.log"; die "npm install failed"; }

# The suite, as it is (the helpers write their port lock under tmp/).
cp -R "$SUITE/test" "$SUITE/.mocharc.js" "$RUN/"
chmod -R u+w "$RUN"
mkdir -p "$RUN/src"
for f in v5-compat.js src/index.js src/errors.js; do
  echo 'module.exports = require("hypobus")' >"$RUN/$f"
done
# ts-node's compiler options for the suite's imports (`import semver from "semver"`).
cat >"$RUN/tsconfig.json" <<'EOF'
{ "compilerOptions": { "module": "commonjs", "target": "es2020", "esModuleInterop": true, "strict": false, "skipLibCheck": true } }
EOF

echo "hypobus $(node -p "require('$RUN/node_modules/hypobus/package.json').version") from $(basename "$TARBALL"); suite at $SUITE"
passed=0
failed=0
pending=0
bad=0
for path in "$RUN"/test/unit/compat/*-test.ts; do
  file=$(basename "$path")
  exitflag=--no-exit
  for x in "${EXIT_FILES[@]}"; do [ "$x" = "$file" ] && exitflag=--exit; done
  json="$OUT/${file%.ts}.json"
  log="$OUT/${file%.ts}.log"
  t0=$(date +%s.%N)
  (cd "$RUN" && INCLUDE_COMPAT_TESTS=true TS_NODE_TRANSPILE_ONLY=true timeout -k 5 "$FILE_BOUND" \
    node_modules/.bin/mocha --config .mocharc.js --no-parallel --retries 0 --timeout 10000 "$exitflag" \
    --reporter json --reporter-option "output=$json" "test/unit/compat/$file") >"$log" 2>&1
  rc=$?
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  # Per test: "passed|failed|pending<TAB>full title".
  results=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const [k, list] of [["passed", r.passes], ["failed", r.failures], ["pending", r.pending]])
      for (const t of list) console.log(k + "\t" + t.fullTitle + (t.err && t.err.message ? "\t" + t.err.message.split("\n")[0] : ""));
  ' "$json" 2>/dev/null)
  parsed=$?
  p=0 f=0 n=0 note=""
  while IFS=$'\t' read -r kind title why; do
    [ -n "$kind" ] || continue
    case $kind in
      passed) p=$((p + 1)) ;;
      failed) f=$((f + 1)); bad=$((bad + 1)); note+=" [FAILED: $title: $why]" ;;
      pending) n=$((n + 1)); bad=$((bad + 1)); note+=" [DID NOT RUN: $title]" ;;
    esac
  done <<<"$results"
  passed=$((passed + p))
  failed=$((failed + f))
  pending=$((pending + n))
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    bad=$((bad + 1)); note+=" [KILLED after ${FILE_BOUND}s: did not end by itself]"
  elif [ $parsed -ne 0 ]; then
    bad=$((bad + 1)); failed=$((failed + 1)); note+=" [CRASHED: exit $rc, no results; see $log]"
  elif [ $rc -ne 0 ] && [ $rc -ne "$f" ]; then
    bad=$((bad + 1)); note+=" [exit status $rc; see $log]"
  fi
  [ "$exitflag" = --exit ] && note+=" (--exit: the file leaves sockets open)"
  printf '%-34s %3d passed %2d failed %2d pending %5ss%s\n' "$file" "$p" "$f" "$n" "$secs" "$note"
done

echo "zeromq.js suite: $passed passed, $failed failed, $pending pending"
[ "$bad" -eq 0 ]
