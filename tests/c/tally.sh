# Sourced by the C test scripts: the "ok - NAME" / "not ok - NAME" lines,
# their count (also of a program of checks: tally_log), and the last line
# "N passed, M failed" (exit non-zero on a failure). ROOT, LIB: the
# repository and its target/release.
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
# ok_if NAME STATUS [LOG...]: "ok - NAME" when STATUS is 0; else each LOG
# shown (indented, each line led by the file's name) and "not ok - NAME".
# Returns STATUS's truth.
ok_if() {
    local name=$1 st=$2 f
    shift 2
    if [ "$st" -eq 0 ]; then
        ok "$name"
        return 0
    fi
    for f in "$@"; do sed "s/^/    $(basename "$f"): /" "$f"; done
    not_ok "$name"
    return 1
}
# tally_log NAME LOG RC: a program of checks wrote LOG and exited with RC:
# shows LOG indented, counts its "ok - " and "not ok - " lines, and checks
# that it exited 0 with a last line "N passed, 0 failed".
tally_log() {
    sed 's/^/    /' "$2"
    passed=$((passed + $(grep -c '^ok - ' "$2")))
    failed=$((failed + $(grep -c '^not ok - ' "$2")))
    if [ "$3" -eq 0 ] && tail -n1 "$2" | grep -q ' passed, 0 failed'; then
        ok "$1 exits 0"
    else
        not_ok "$1 exits 0 (exit code $3)"
    fi
}
