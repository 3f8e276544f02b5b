# Sourced by the C test scripts: the "ok - NAME" / "not ok - NAME" lines,
# their count, and the last line "N passed, M failed" (exit non-zero on a
# failure). ROOT, LIB: the repository and its target/release.
ROOT=$PWD
LIB="$ROOT/target/release"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}
