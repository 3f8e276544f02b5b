#!/usr/bin/env python3
"""Writes the Python binding's platform wheel around a prebuilt libhypobus.so.

    python3 scripts/dist_wheel.py --lib LIB --platform manylinux_2_17_x86_64 --outdir dist/

The package is pure Python plus a C library that it loads with ctypes (no
CPython extension), so one wheel serves every CPython >= 3.8 of a platform:
`hypobus-VERSION-py3-none-<platform>.whl`. The library is put in as
`hypobus/_libhypobus.so`, the name `hypobus/_ffi.py` looks for first (as a checkout install has it); the
metadata comes from bindings/python/pyproject.toml. scripts/dist.sh builds the
library (glibc 2.17, C++ runtime linked in) and calls this once per platform.
`pip install ./bindings/python` (setuptools-rust, cargo) is untouched by it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import pathlib
import sys
import zipfile

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    tomllib = None

ROOT = pathlib.Path(__file__).resolve().parent.parent
PKG_SRC = ROOT / "bindings" / "python"
# Fixed file times: the same inputs give the same wheel.
EPOCH = (2020, 1, 1, 0, 0, 0)


def project_metadata():
    text = (PKG_SRC / "pyproject.toml").read_text()
    if tomllib is None:
        sys.exit("dist_wheel.py needs Python 3.11 or later (tomllib) to read pyproject.toml")
    return tomllib.loads(text)["project"]


def metadata_text(project):
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
        f"License: {project.get('license', {}).get('text', '')}",
        f"Requires-Python: {project['requires-python']}",
    ]
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + (PKG_SRC / project["readme"]).read_text()


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(lib, platform, outdir):
    project = project_metadata()
    name, version = project["name"], project["version"]
    tag = f"py3-none-{platform}"
    wheel_name = f"{name}-{version}-{tag}.whl"
    dist_info = f"{name}-{version}.dist-info"

    files = []  # (archive name, bytes, mode)
    for path in sorted((PKG_SRC / "hypobus").rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        files.append((path.relative_to(PKG_SRC).as_posix(), path.read_bytes(), 0o644))
    files.append(("hypobus/_libhypobus.so", pathlib.Path(lib).read_bytes(), 0o755))
    files.append((f"{dist_info}/METADATA", metadata_text(project).encode(), 0o644))
    # Root-Is-Purelib false: the wheel holds a platform library (installers put
    # it in platlib; auditwheel treats it as a platform wheel).
    wheel_meta = (
        f"Wheel-Version: 1.0\nGenerator: libhypobus scripts/dist_wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    )
    files.append((f"{dist_info}/WHEEL", wheel_meta.encode(), 0o644))
    license_file = ROOT / "LICENSE"
    if license_file.exists():
        files.append((f"{dist_info}/LICENSE", license_file.read_bytes(), 0o644))
    files.append((f"{dist_info}/top_level.txt", b"hypobus\n", 0o644))

    record = [record_line(n, d) for n, d, _ in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), 0o644))

    os.makedirs(outdir, exist_ok=True)
    out = pathlib.Path(outdir) / wheel_name
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for n, d, mode in files:
            info = zipfile.ZipInfo(n, date_time=EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, d)
    tmp.replace(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lib", required=True, help="the built libhypobus.so for the platform")
    ap.add_argument("--platform", required=True, help="the wheel's platform tag, e.g. manylinux_2_17_x86_64")
    ap.add_argument("--outdir", required=True)
    a = ap.parse_args()
    if not os.path.isfile(a.lib):
        sys.exit(f"dist_wheel.py: {a.lib} does not exist")
    print(build(a.lib, a.platform, a.outdir))


if __name__ == "__main__":
    main()
