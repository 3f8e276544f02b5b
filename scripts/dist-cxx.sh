#!/usr/bin/env bash
# dist-cxx.sh ARCH OUT.a: the C++ runtime that the static libhypobus.a of a
# release needs, as one archive. scripts/dist.sh builds the library with zig,
# whose C++ runtime is LLVM's libc++ and libc++abi (namespace std::__1), not
# the system's libstdc++: a C program linked statically against libhypobus.a
# (libzmq inside is C++) needs those two, for the same target. zig builds them
# for the target when a C++ program links them; --verbose-link tells where.
# (The shared library needs nothing: the runtime is linked into it.)
set -euo pipefail
arch=$1
out=$2
zig=${ZIG:-python-zig}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <string>\n#include <stdexcept>\nint main(int c, char **v) { try { throw std::runtime_error(std::string(v[0])); } catch (const std::exception &e) { return c - 1; } }\n' >"$tmp/probe.cpp"
if ! "$zig" build-exe -target "$arch-linux-gnu.2.17" -lc++ -lc -O ReleaseFast "$tmp/probe.cpp" \
    -femit-bin="$tmp/probe" --verbose-link >"$tmp/link.txt" 2>&1; then
    cat "$tmp/link.txt" >&2
    echo "dist-cxx.sh: zig cannot link a C++ program for $arch-linux-gnu.2.17" >&2
    exit 1
fi
cxx=$(grep -o '[^ ]*/libc++\.a' "$tmp/link.txt" | head -n1)
cxxabi=$(grep -o '[^ ]*/libc++abi\.a' "$tmp/link.txt" | head -n1)
if [ ! -f "$cxx" ] || [ ! -f "$cxxabi" ]; then
    cat "$tmp/link.txt" >&2
    echo "dist-cxx.sh: zig's link line names no libc++.a / libc++abi.a" >&2
    exit 1
fi
rm -f "$out"
printf 'CREATE %s\nADDLIB %s\nADDLIB %s\nSAVE\nEND\n' "$out" "$cxx" "$cxxabi" | "$zig" ar -M
echo "$out: $(basename "$cxx") + $(basename "$cxxabi") for $arch"
