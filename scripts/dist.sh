#!/usr/bin/env bash
# Builds every release artifact into dist/, from a clean checkout, for
# linux x86-64 and linux arm64 (aarch64):
#
#   dist/python/hypobus-V-py3-none-manylinux_2_17_{x86_64,aarch64}.whl
#       one wheel per platform for every CPython >= 3.8 (pure Python + the
#       library, loaded with ctypes: no CPython ABI tag)
#   dist/npm/hypobus-V.tgz, hypobus-linux-x64-V.tgz, hypobus-linux-arm64-V.tgz
#       the main package (koffi loader, optionalDependencies on the two
#       platform packages @hypobus/linux-x64 and @hypobus/linux-arm64) and the
#       platform packages holding the library
#   dist/c/libhypobus-V-linux-{x86_64,aarch64}.tar.gz
#       shared and static library, header, relocatable pkg-config file
#   dist/SHA256SUMS
#
# The library is built with cargo-zigbuild against glibc 2.17 (manylinux2014)
# with zig's libc++ linked in (libzmq is C++), so it runs on any glibc Linux
# from 2014 on and needs no C++ runtime. The tools come from the package
# registries into target/dist-tools (pip: ziglang, cargo-zigbuild,
# auditwheel; rustup: the aarch64 standard library; apt-get, as root: the
# aarch64 binutils for strip). Every artifact is checked before it is
# written: no GLIBC symbol version above 2.17, no C++ runtime or other
# library outside manylinux2014's list needed, `auditwheel show` of each
# wheel. docs/RELEASING.md says more.
#
#   bash scripts/dist.sh                     (or: make dist)
#   HB_DIST_ARCHES=x86_64 bash scripts/dist.sh    (one platform only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIST=$ROOT/dist
TOOLS=$ROOT/target/dist-tools
BUILD=$ROOT/target/dist-build
STAGE=$ROOT/target/dist-stage
ARCHES=${HB_DIST_ARCHES:-x86_64 aarch64}
GLIBC=2.17
# The tools' versions, so that a release is built the same way each time.
ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1
AUDITWHEEL_VERSION=6.8.2

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
ABI_MAJOR=$(sed -n 's/^#define HB_ABI_VERSION_MAJOR \([0-9]*\)/\1/p' include/hypobus.h)
ABI_MINOR=$(sed -n 's/^#define HB_ABI_VERSION_MINOR \([0-9]*\)/\1/p' include/hypobus.h)

die() {
    echo "dist.sh: $*" >&2
    exit 1
}
step() { printf '\n=== %s ===\n' "$*"; }
[ -n "$VERSION" ] && [ -n "$ABI_MAJOR" ] && [ -n "$ABI_MINOR" ] || die "cannot read the version from Cargo.toml / include/hypobus.h"

# Names of a platform in each ecosystem.
rust_target() { echo "$1-unknown-linux-gnu"; }
npm_arch() { case $1 in x86_64) echo x64 ;; aarch64) echo arm64 ;; *) die "unknown arch $1" ;; esac; }

step "tools: ziglang, cargo-zigbuild, auditwheel (pip, into target/dist-tools); rust targets; strip"
if [ ! -x "$TOOLS/bin/python" ]; then
    python3 -m venv "$TOOLS" || die "cannot make a virtualenv (python3 -m venv)"
fi
"$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check \
    "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" "auditwheel==$AUDITWHEEL_VERSION" ||
    die "cannot pip install ziglang, cargo-zigbuild and auditwheel into $TOOLS"
export PATH="$TOOLS/bin:$PATH"
command -v cargo-zigbuild >/dev/null || die "cargo-zigbuild is not in $TOOLS/bin after pip install"
for arch in $ARCHES; do
    t=$(rust_target "$arch")
    if ! rustup target list --installed | grep -qx "$t"; then
        rustup target add "$t" || die "cannot add the rust target $t (rustup target add $t)"
    fi
done
need_apt() { # need_apt COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null ||
            die "cannot apt-get install $2 (for $1)"
    fi
    command -v "$1" >/dev/null 2>&1 || die "$1 is missing: install $2"
}
strip_for() { case $1 in x86_64) echo strip ;; aarch64) echo aarch64-linux-gnu-strip ;; esac; }
for arch in $ARCHES; do
    case $arch in aarch64) need_apt aarch64-linux-gnu-strip binutils-aarch64-linux-gnu ;; *) need_apt strip binutils ;; esac
done
need_apt readelf binutils
command -v npm >/dev/null || die "npm is missing (Node 18 or later)"

rm -rf "$DIST" "$STAGE"
mkdir -p "$DIST/python" "$DIST/npm" "$DIST/c" "$STAGE"

# check_lib FILE: the portability promises, on the built library itself.
check_lib() {
    local f=$1 max needed
    # The highest GLIBC_x.y symbol version the library needs.
    max=$(readelf -V --wide "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
    [ -n "$max" ] || die "$f: no GLIBC symbol versions found (readelf -V)"
    if [ "$(printf '%s\n%s\n' "$max" "$GLIBC" | sort -V | tail -n1)" != "$GLIBC" ]; then
        die "$f needs GLIBC_$max, above $GLIBC: readelf -V --wide $f | grep GLIBC_"
    fi
    needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    for lib in $needed; do
        case $lib in
        libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | libutil.so.1 | libgcc_s.so.1 | ld-linux-*.so.* | ld-linux.so.2) ;;
        *) die "$f needs $lib, which is not on every glibc Linux (manylinux2014's list)" ;;
        esac
    done
    echo "$f: highest GLIBC_$max, needs: $needed"
}

for arch in $ARCHES; do
    t=$(rust_target "$arch")
    step "library for $t, glibc $GLIBC (cargo zigbuild --release --lib)"
    cargo zigbuild -p hypobus --release --lib --locked --target "$t.$GLIBC" --target-dir "$BUILD" ||
        die "cargo zigbuild for $t.$GLIBC failed"
    out=$STAGE/$arch
    mkdir -p "$out"
    # The release profile keeps debug info (debug = 1) for profiling: leave it out.
    "$(strip_for "$arch")" --strip-debug -o "$out/libhypobus.so" "$BUILD/$t/release/libhypobus.so"
    "$(strip_for "$arch")" --strip-debug -o "$out/libhypobus.a" "$BUILD/$t/release/libhypobus.a"
    check_lib "$out/libhypobus.so"
    soname=$(readelf -d "$out/libhypobus.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    [ "$soname" = "libhypobus.so.$ABI_MAJOR" ] || die "$out/libhypobus.so has SONAME '$soname', not libhypobus.so.$ABI_MAJOR"
done

step "C: a tarball per platform (shared and static library, header, pkg-config)"
for arch in $ARCHES; do
    name=libhypobus-$VERSION-linux-$arch
    d=$STAGE/c/$name
    mkdir -p "$d/lib/pkgconfig" "$d/include"
    real=libhypobus.so.$ABI_MAJOR.$ABI_MINOR
    install -m 0755 "$STAGE/$arch/libhypobus.so" "$d/lib/$real"
    ln -s "$real" "$d/lib/libhypobus.so.$ABI_MAJOR"
    ln -s "libhypobus.so.$ABI_MAJOR" "$d/lib/libhypobus.so"
    install -m 0644 "$STAGE/$arch/libhypobus.a" "$d/lib/libhypobus.a"
    install -m 0644 include/hypobus.h "$d/include/hypobus.h"
    # Relocatable: the prefix is wherever the tarball was unpacked.
    sed -e 's|^prefix=.*|prefix=${pcfiledir}/../..|' -e 's|@LIBDIR@|${prefix}/lib|' -e 's|@INCLUDEDIR@|${prefix}/include|' \
        -e "s|@VERSION@|$VERSION|" libhypobus.pc.in >"$d/lib/pkgconfig/libhypobus.pc"
    # The static library's libzmq is C++ built on zig's libc++ (namespace
    # std::__1): the archive carries that runtime as libhypobus_cxx.a.
    bash scripts/dist-cxx.sh "$arch" "$d/lib/libhypobus_cxx.a"
    sed -i 's|^Libs.private:.*|Libs.private: -lhypobus_cxx -lutil -lrt -lpthread -lm -ldl|' "$d/lib/pkgconfig/libhypobus.pc"
    cp LICENSE "$d/LICENSE"
    cat >"$d/README" <<EOF
libhypobus $VERSION (C ABI $ABI_MAJOR.$ABI_MINOR) for linux $arch, glibc $GLIBC or later.

  lib/libhypobus.so.$ABI_MAJOR     the shared library (no C++ runtime needed: it is linked in)
  lib/libhypobus.a       the static library (with lib/libhypobus_cxx.a, the C++ runtime it needs)
  include/hypobus.h      the header
  lib/pkgconfig/libhypobus.pc    relocatable: unpack anywhere

  export PKG_CONFIG_PATH=\$PWD/$name/lib/pkgconfig
  cc client.c \$(pkg-config --cflags --libs libhypobus) -Wl,-rpath,\$PWD/$name/lib -o client
  cc -static client.c \$(pkg-config --static --cflags --libs libhypobus) -o client
EOF
    tar -C "$STAGE/c" --owner=0 --group=0 --sort=name -czf "$DIST/c/$name.tar.gz" "$name"
    echo "$DIST/c/$name.tar.gz"
done

step "Python: a wheel per platform (py3-none-manylinux_2_17), checked by auditwheel"
for arch in $ARCHES; do
    plat=manylinux_2_17_$arch
    whl=$("$TOOLS/bin/python" scripts/dist_wheel.py --lib "$STAGE/$arch/libhypobus.so" --platform "$plat" --outdir "$DIST/python")
    show=$("$TOOLS/bin/auditwheel" show "$whl" 2>&1) || die "auditwheel show $whl failed: $show"
    echo "$show"
    echo "$show" | tr -s ' \n' '  ' | grep -Eq 'consistent with the following platform tag: "manylinux_2_(5|12|17)_' ||
        die "auditwheel does not call $whl manylinux2014 (manylinux_2_17) or older"
done

step "npm: the platform packages and the main package"
for arch in $ARCHES; do
    a=$(npm_arch "$arch")
    d=$STAGE/npm/linux-$a
    mkdir -p "$d"
    cp "$STAGE/$arch/libhypobus.so" "$d/libhypobus.so"
    cp LICENSE "$d/LICENSE"
    cat >"$d/package.json" <<EOF
{
  "name": "@hypobus/linux-$a",
  "version": "$VERSION",
  "description": "libhypobus $VERSION (C ABI $ABI_MAJOR.$ABI_MINOR) prebuilt for linux $a, glibc $GLIBC or later: the library of the hypobus package",
  "license": "MIT",
  "os": ["linux"],
  "cpu": ["$a"],
  "libc": ["glibc"],
  "files": ["libhypobus.so", "README.md", "LICENSE"]
}
EOF
    printf '# @hypobus/linux-%s\n\nThe prebuilt libhypobus (C ABI %s.%s) for linux %s (glibc %s or later), loaded by the `hypobus` package. Install `hypobus`, not this.\n' \
        "$a" "$ABI_MAJOR" "$ABI_MINOR" "$a" "$GLIBC" >"$d/README.md"
    (cd "$d" && npm pack --pack-destination "$DIST/npm" --loglevel=error >/dev/null) || die "npm pack of $d failed"
done
main=$STAGE/npm/hypobus
mkdir -p "$main"
(cd bindings/node && cp -r index.js index.d.ts lib examples README.md "$main/")
cp LICENSE "$main/LICENSE"
# The published package.json: no prepack (no library of its own: the platform
# packages carry it), no dev dependencies, the platform packages as optional
# dependencies (npm installs the one that fits os/cpu/libc).
node - "$main/package.json" "$VERSION" "$ARCHES" <<'JS'
const fs = require('node:fs');
const [out, version, arches] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync('bindings/node/package.json', 'utf8'));
delete pkg.devDependencies;
delete pkg.scripts;
pkg.version = version;
pkg.files = ['index.js', 'index.d.ts', 'lib/', 'examples/', 'README.md', 'LICENSE'];
pkg.cpu = [];
pkg.optionalDependencies = {};
for (const arch of arches.split(/\s+/).filter(Boolean)) {
  const a = { x86_64: 'x64', aarch64: 'arm64' }[arch];
  pkg.optionalDependencies[`@hypobus/linux-${a}`] = version;
  pkg.cpu.push(a);
}
fs.writeFileSync(out, JSON.stringify(pkg, null, 2) + '\n');
JS
(cd "$main" && npm pack --pack-destination "$DIST/npm" --loglevel=error >/dev/null) || die "npm pack of the main package failed"
# npm names a scoped package's tarball hypobus-linux-x64-V.tgz.
ls -l "$DIST/npm"

(cd "$DIST" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum >SHA256SUMS)
step "dist/"
(cd "$DIST" && find . -type f | sort)
