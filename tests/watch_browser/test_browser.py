"""The live page of `hypobus watch --http` in a real browser (headless
Chromium driven by selenium) while the lab runs as processes with a primary
and a backup broker, and the Mermaid / SVG exports of the three scenarios
rendered by the `mermaid` npm package's own bundle, loaded from disk.

Run: target/test-venv/bin/python -m pytest tests/watch_browser -q
(needs `apt-get install chromium chromium-driver`, `pip install selenium`,
`npm ci` in tests/watch_browser; scripts/test-all.sh does all of that).
"""

import json
import os
import re
import shutil
import signal
import time
import xml.etree.ElementTree as ET

import pytest
from conftest import HERE, OUT, REPO, free_ports
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HB_MS = 100


def lab_with_failover(procs, bin_):
    """Primary and backup brokers (processes), two op nodes, a calc node."""
    p = dict(zip(("xsub", "xpub", "hb"), free_ports(3)))
    b = dict(zip(("xsub", "xpub", "hb"), free_ports(3)))

    def broker(role, me, peer):
        return procs.start(
            role,
            [
                bin_,
                "broker",
                "--role",
                role,
                "--xsub",
                f"tcp://127.0.0.1:{me['xsub']}",
                "--xpub",
                f"tcp://127.0.0.1:{me['xpub']}",
                "--hb",
                f"tcp://127.0.0.1:{me['hb']}",
                "--hb-interval-ms",
                HB_MS,
                "--peer-hb",
                f"tcp://127.0.0.1:{peer['hb']}",
            ],
        )

    primary = broker("primary", p, b)
    backup = broker("backup", b, p)
    primary.wait_line(r"^event primary: active", timeout=10)
    brokers = [f"127.0.0.1:{p['xsub']}:{p['xpub']}", f"127.0.0.1:{b['xsub']}:{b['xpub']}"]
    node = []
    for x in brokers:
        node += ["--broker", x]
    for lane in (1, 2):
        procs.start(f"op{lane}", [bin_, "op", "--lane", lane, *node]).wait_line(r"ready")
    procs.start("calc", [bin_, "calc", *node]).wait_line(r"^calc ready")
    watch = procs.start(
        "watch",
        [
            bin_,
            "watch",
            "--broker",
            brokers[0],
            "--hb",
            f"tcp://127.0.0.1:{p['hb']}",
            "--broker",
            brokers[1],
            "--hb",
            f"tcp://127.0.0.1:{b['hb']}",
            "--http",
            "127.0.0.1:0",
            "--full",
        ],
    )
    ready = watch.wait_line(r"^watch ready:.*page http://")
    url = re.search(r"page (http://\S+)", ready).group(1)
    return primary, backup, node, url


def ask(procs, bin_, node, a, b, want):
    c = procs.start(f"client {a} {b}", [bin_, "client", a, b, *node, "--timeout-ms", "10000"])
    assert c.wait_exit(20) == 0, c.report()
    assert c.lines[-1] == want, c.report()


def wait_for(driver, what, check, timeout=15):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: check(d))
    except Exception:
        OUT.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(OUT / "failed.png"))
        pytest.fail(
            f"the page did not show {what} within {timeout} s (screenshot: {OUT / 'failed.png'})\n"
            f"{driver.find_element(By.TAG_NAME, 'body').get_attribute('innerHTML')[:3000]}"
        )


# The page replaces its SVG on every update: read it in one script call,
# never through element references that an update makes stale.
TRACE_JS = """
const g = document.querySelector('#diagram g.trace[data-a="' + arguments[0] + '"][data-b="' + arguments[1] + '"][data-outcome="answer"]');
if (!g) return null;
const at = (e, k) => e.getAttribute(k);
return {
  result: at(g, "data-result"),
  lifelines: Array.from(g.querySelectorAll("g.lifeline")).map(l => [at(l, "data-role"), at(l, "data-impl")]),
  arrows: Array.from(g.querySelectorAll("g.arrow")).map(a => [at(a, "data-kind"), at(a, "data-from"), at(a, "data-to"), at(a, "data-value"), at(a, "data-broker")]),
  lines: g.querySelectorAll("g.arrow line").length,
};
"""


def trace_element(d, a, b):
    return d.execute_script(TRACE_JS, a, b)


def attrs(d, selector, *names):
    return d.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => arguments[1].map(k => e.getAttribute(k)));",
        selector,
        list(names),
    )


def test_live_page_shows_requests_and_the_failover(procs, hypobus_bin, browser):
    primary, backup, node, url = lab_with_failover(procs, hypobus_bin)
    browser.get(url)
    wait_for(
        browser,
        "a live event stream",
        lambda d: d.execute_script("return document.getElementById('status').textContent") == "live",
    )
    ask(procs, hypobus_bin, node, "12", "13", "17.6918")
    tr = wait_for(browser, "the request 12, 13", lambda d: trace_element(d, "12", "13"))
    assert tr["result"] == "17.6918"
    lifelines = dict(tr["lifelines"])
    assert lifelines == {"client": "tagged", "calc": "tagged", "op 1": "tagged", "op 2": "tagged"}, lifelines
    arrows = [tuple(a) for a in tr["arrows"]]
    assert ("request", "client", "calc", "12", "primary") in arrows, arrows
    assert ("request", "client", "calc", "13", "primary") in arrows, arrows
    assert ("square-request", "calc", "op 1", "12", "primary") in arrows, arrows
    assert ("square-result", "op 1", "calc", "144", "primary") in arrows, arrows
    assert ("square-result", "op 2", "calc", "169", "primary") in arrows, arrows
    assert ("answer", "calc", "client", "17.6918", "primary") in arrows, arrows
    # Lines are drawn, with a label each.
    assert tr["lines"] == len(arrows) >= 7
    wait_for(
        browser,
        "the primary active in the broker table",
        lambda d: attrs(d, '#brokers tr[data-broker="primary"][data-active="true"]', "data-broker"),
    )
    assert browser.execute_script("return document.getElementById('active').textContent") == "primary"
    roles = {r[0] for r in attrs(browser, "#roles tr", "data-role")}
    assert {"calc", "op 1", "op 2"} <= roles, roles
    OUT.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(OUT / "page-normal.png"))

    # SIGKILL the primary (by PID): the backup takes over, a request made now
    # is resent by the client and answered through the backup.
    os.kill(primary.pid, signal.SIGKILL)
    primary.p.wait(5)
    ask(procs, hypobus_bin, node, "20", "21", "29.0000")
    wait_for(
        browser,
        "the backup active",
        lambda d: d.execute_script("return document.getElementById('active').textContent") == "backup",
    )
    wait_for(
        browser,
        "the primary silent in the timeline",
        lambda d: attrs(d, '#events li[data-broker="primary"][data-alive="false"]', "data-broker"),
    )
    assert attrs(browser, '#events li[data-broker="backup"][data-active="true"]', "data-broker")
    segs = {tuple(x) for x in attrs(browser, "#timeline rect.segment", "data-broker", "data-state")}
    assert ("primary", "active") in segs and ("primary", "silent") in segs and ("backup", "active") in segs, segs
    tr = wait_for(browser, "the request 20, 21", lambda d: trace_element(d, "20", "21"))
    via = {a[4] for a in tr["arrows"]}
    assert "backup" in via, via
    # The state behind the page is the JSON of /state too.
    browser.get(url + "state")
    state = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    assert state["summary"]["active"] == "backup"
    browser.back()
    wait_for(browser, "the page again", lambda d: trace_element(d, "20", "21"))
    time.sleep(0.5)
    browser.save_screenshot(str(OUT / "page-failover.png"))
    if os.environ.get("HB_UPDATE_SCREENSHOT") == "1":
        shutil.copy(OUT / "page-failover.png", REPO / "docs" / "watch-page.png")


MERMAID_JS = HERE / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"

RENDER_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><script src="{src}"></script></head><body>
<div id="out"></div>
<script>
mermaid.initialize({{ startOnLoad: false, securityLevel: "strict" }});
window.renderAll = async function (diagrams) {{
  const results = [];
  for (let i = 0; i < diagrams.length; i++) {{
    try {{
      await mermaid.parse(diagrams[i]);
      const r = await mermaid.render("d" + i, diagrams[i]);
      document.getElementById("out").insertAdjacentHTML("beforeend", r.svg);
      results.push({{ ok: true, svg: r.svg.length, messages: (r.svg.match(/messageText/g) || []).length }});
    }} catch (e) {{
      results.push({{ ok: false, error: String(e && e.message || e) }});
    }}
  }}
  return results;
}};
</script></body></html>"""


@pytest.mark.parametrize("scenario", ["normal", "fallback", "failover"])
def test_scenario_exports_render(procs, hypobus_bin, browser, scenario, tmp_path):
    assert MERMAID_JS.exists(), f"{MERMAID_JS} is missing: run `npm ci` in {HERE}"
    md, svg = tmp_path / f"{scenario}.md", tmp_path / f"{scenario}.svg"
    p = procs.start(f"lab {scenario}", [hypobus_bin, "lab", "--scenario", scenario, "--mermaid", md, "--svg", svg])
    assert p.wait_exit(60) == 0, p.report()
    # The SVG export is valid XML, an <svg> with a diagram per request.
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
    traces = root.findall("{http://www.w3.org/2000/svg}g[@class='trace']")
    assert len(traces) == (3 if scenario == "failover" else 1)
    # The Mermaid export renders in Chromium with mermaid's own bundle, from disk.
    text = md.read_text()
    blocks = re.findall(r"```mermaid\n(.*?)```", text, re.S)
    assert len(blocks) == len(traces), text
    page = tmp_path / "render.html"
    page.write_text(RENDER_PAGE.format(src=MERMAID_JS.as_uri()))
    browser.get(page.as_uri())
    wait_for(browser, "mermaid loaded", lambda d: d.execute_script("return typeof mermaid !== 'undefined'"))
    results = browser.execute_async_script(
        "const done = arguments[arguments.length - 1]; window.renderAll(arguments[0]).then(done);", blocks
    )
    for block, r in zip(blocks, results):
        assert r["ok"], f"mermaid refused the {scenario} diagram: {r.get('error')}\n{block}"
        arrows = len(re.findall(r"^\s+\w+-{1,2}[>x]", block, re.M))
        assert r["messages"] >= arrows > 0, (r, block)
    OUT.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(OUT / f"mermaid-{scenario}.png"))
    if scenario == "failover":
        assert "backup active" in text and "primary silent" in text, text
    if scenario == "fallback":
        assert "computed the square of lane 1 itself" in text, text
