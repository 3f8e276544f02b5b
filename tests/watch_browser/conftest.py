"""Fixtures for the browser tests: the ones of tests/classic (the hypobus
binary, free ports, processes ended by PID), and a headless Chromium driven
by selenium with the Debian packages' chromedriver."""

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

_spec = importlib.util.spec_from_file_location("classic_conftest", REPO / "tests" / "classic" / "conftest.py")
classic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(classic)
hypobus_bin = classic.hypobus_bin
procs = classic.procs
free_ports = classic.free_ports
pytest_runtest_makereport = classic.pytest_runtest_makereport

CHROMIUM = os.environ.get("HB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HB_CHROMEDRIVER", "/usr/bin/chromedriver")
# Screenshots and pages the tests make.
OUT = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "watch-browser"


@pytest.fixture
def browser():
    """Headless Chromium (fresh profile, no network services), ended at the end."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for p in (CHROMIUM, CHROMEDRIVER):
        if not Path(p).exists():
            pytest.fail(f"{p} is missing: apt-get install chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="hb-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1400,1100",
    ):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(20)
    d.set_script_timeout(30)
    try:
        yield d
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)
