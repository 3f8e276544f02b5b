#!/usr/bin/env bash
# The C user's path: `make install` into a temporary prefix, then build the
# examples against the installed library with nothing but pkg-config,
# dynamically and statically, run them (a lab_node and both clients ->
# 17.6918), check the version macros against Cargo.toml and the library,
# and `make uninstall` leaves nothing behind. Last line "N passed, M failed".
#
#   bash tests/c/install.sh        (needs cargo, gcc, make, pkg-config, python3)
set -u
cd "$(dirname "$0")/../.."
. tests/c/tally.sh
. tests/c/procs.sh
PREFIX=$(mktemp -d)
OUT=$(mktemp -d)
LAB_PID=""
cleanup() {
    exec 3>&- 2>/dev/null || true
    end_processes "$LAB_PID"
    rm -rf "$PREFIX" "$OUT"
}
trap cleanup EXIT

make install PREFIX="$PREFIX" >"$OUT/install.log" 2>&1
ok_if "make install PREFIX=$PREFIX" $? "$OUT/install.log" || finish
for f in lib/libhypobus.so lib/libhypobus.so.1 lib/libhypobus.a include/hypobus.h lib/pkgconfig/libhypobus.pc; do
    [ -e "$PREFIX/$f" ] || not_ok "installed $f"
done
soname=$(readelf -d "$PREFIX/lib/libhypobus.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libhypobus.so.1" ] && ok "SONAME libhypobus.so.1 (the ABI major version)" || not_ok "SONAME is '$soname'"

export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
CFLAGS=(-Wall -Wextra -Werror -std=c11)
build() { # name source [static]
    local name=$1 src=$2
    if [ "${3:-}" = static ]; then
        # shellcheck disable=SC2046
        cc "${CFLAGS[@]}" -static "$src" $(pkg-config --static --cflags --libs libhypobus) -o "$OUT/$name" 2>"$OUT/$name.log"
    else
        # shellcheck disable=SC2046
        cc "${CFLAGS[@]}" "$src" $(pkg-config --cflags --libs libhypobus) -o "$OUT/$name" 2>"$OUT/$name.log"
    fi
    local rc=$?
    # A static glibc program that resolves names gets linker warnings; anything else fails.
    [ $rc -eq 0 ] && ! grep -v -e 'statically linked applications requires at runtime' -e 'in function' "$OUT/$name.log" | grep -q .
    ok_if "cc $src \$(pkg-config ${3:+--static }--cflags --libs libhypobus)${3:+ -static}" $? "$OUT/$name.log"
}
build client_dyn examples/c/client.c
build lab_node_dyn examples/c/lab_node.c
build failover_broker_dyn examples/c/failover_broker.c
build client_static examples/c/client.c static
build lab_node_static examples/c/lab_node.c static

# The version macros agree with Cargo.toml and with what the library reports.
cat >"$OUT/version.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "hypobus.h"
int main(void) {
    char v[64];
    uint32_t maj = 0, min = 0;
    if (hb_version(v, sizeof v, NULL) != HB_OK || hb_abi_version(&maj, &min) != HB_OK)
        return 2;
    char macro[64];
    snprintf(macro, sizeof macro, "%d.%d.%d", HYPOBUS_VERSION_MAJOR, HYPOBUS_VERSION_MINOR, HYPOBUS_VERSION_PATCH);
    printf("%s %s %s %u.%u %d.%d\n", HYPOBUS_VERSION, macro, v, maj, min, HB_ABI_VERSION_MAJOR, HB_ABI_VERSION_MINOR);
    return strcmp(HYPOBUS_VERSION, v) == 0 && strcmp(macro, v) == 0 && maj == HB_ABI_VERSION_MAJOR && min == HB_ABI_VERSION_MINOR ? 0 : 1;
}
C
build version "$OUT/version.c"
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
got=$(LD_LIBRARY_PATH="$PREFIX/lib" "$OUT/version")
rc=$?
[ $rc -eq 0 ] && [ "${got%% *}" = "$cargo_version" ] && ok "version macros = Cargo.toml ($cargo_version) = hb_version; ABI macros = hb_abi_version ($got)" ||
    not_ok "version macros (rc $rc: '$got', Cargo.toml $cargo_version)"

# The dynamic program needs the installed libhypobus.so.1; the static one no libhypobus at all.
LD_LIBRARY_PATH="$PREFIX/lib" ldd "$OUT/client_dyn" | grep -q "libhypobus.so.1 => $PREFIX/lib/libhypobus.so.1" &&
    ok "dynamic client loads $PREFIX/lib/libhypobus.so.1" || not_ok "dynamic client's libhypobus"
readelf -d "$OUT/client_static" 2>/dev/null | grep -q 'NEEDED.*hypobus' && not_ok "static client needs libhypobus" ||
    ok "static client needs no shared libhypobus"

# A lab (the dynamic lab_node) and both clients: 17.6918.
start_lab "$OUT/ctl" "$OUT/lab.log" env LD_LIBRARY_PATH="$PREFIX/lib" "$OUT/lab_node_dyn"
ok_if "installed lab_node ready" $? "$OUT/lab.log"
for c in client_dyn client_static; do
    got=$(LD_LIBRARY_PATH="$PREFIX/lib" timeout 20 "$OUT/$c" 12 13 "127.0.0.1:$XSUB:$XPUB" 2>"$OUT/$c.err")
    [ "$got" = "17.6918" ] && ok "$c 12 13 -> 17.6918" || { cat "$OUT/$c.err"; not_ok "$c 12 13 -> '$got'"; }
done
stop_lab && ok "lab_node stops, exit 0" || not_ok "lab_node exit"

if make uninstall PREFIX="$PREFIX" >"$OUT/uninstall.log" 2>&1 && [ -z "$(find "$PREFIX" -type f -o -type l)" ]; then
    ok "make uninstall leaves no file in the prefix"
else
    find "$PREFIX" -type f -o -type l
    not_ok "make uninstall"
fi
finish
