"""report.html in a real browser: for a run of each task (the binary table, the image classifier,
the forecaster, the word model of conftest.py), the page is well-formed XML that loads nothing from
elsewhere, has its task's sections, and headless Chromium renders its charts with no console
error and no network request.

Chromium is Debian's (`chromium`, which scripts/setup installs); without /usr/bin/chromium the
browser tests skip. Each run is rendered once (one Chromium call of about a second, with its own
profile folder) and its DOM, screenshot, log and network log are checked by the tests below.
"""

import json
import os
import re
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
TASKS = ["binary", "images", "series", "words"]
XHTML = "{http://www.w3.org/1999/xhtml}"
SCREEN = (1200, 2000)

# Words each task's report shows (in section titles, chart titles, text); "Misclassified" for the
# image classifier is added when its test accuracy is below 1.
SECTIONS = {
    "binary": ["Curves", "Model", "Confusion matrix", "ROC curve"],
    "images": ["Curves", "Model", "Confusion matrix", "Convolutions"],
    "series": ["Curves", "Model", "Forecasts", "by horizon"],
    "words": ["Curves", "Model", "perplexity"],
}


def report_of(request, task):
    return request.getfixturevalue(task).folder / "report.html"


# ---------------------------------------------------------------------------------------------
# The file itself


@pytest.mark.parametrize("task", TASKS)
def test_report_is_well_formed_and_self_contained(request, task):
    path = report_of(request, task)
    assert path.stat().st_size < 3 * 1024 * 1024, f"{path}: {path.stat().st_size} bytes"
    root = ET.parse(path).getroot()  # raises on anything that is not well-formed XML
    assert root.tag == XHTML + "html"
    # Every src and href (xlink:href too) is a data: URI (or a link inside the page).
    for e in root.iter():
        for name, value in e.attrib.items():
            if name.rsplit("}", 1)[-1] in ("src", "href"):
                assert value.startswith(("data:", "#")), f"{task}: <{e.tag} {name}={value[:80]!r}>"
    # The same on the text (src= or href= anywhere), and CSS loads nothing but data: URIs.
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r"""\b(?:src|href)\s*=\s*["']\s*([^"']*)""", text, re.I):
        assert m.group(1).startswith(("data:", "#")), f"{task}: {m.group(0)[:80]!r}"
    css = [e.text or "" for e in root.iter(XHTML + "style")] + \
          [e.get("style") for e in root.iter() if e.get("style")]
    for m in re.finditer(r"""(?:url\(|@import)\s*["']?\s*([^"')]*)""", "\n".join(css), re.I):
        assert m.group(1).startswith("data:"), f"{task}: CSS {m.group(0)[:80]!r}"
    assert "<script" not in text.lower()


@pytest.mark.parametrize("task", TASKS)
def test_report_has_the_task_sections(request, task):
    run = request.getfixturevalue(task)
    root = ET.parse(run.folder / "report.html").getroot()
    words = " ".join(" ".join(root.itertext()).split())  # every text, the charts' too
    wanted = list(SECTIONS[task])
    if task == "images" and run.summary["test"]["accuracy"] < 1:
        wanted.append("Misclassified")
    missing = [w for w in wanted if w not in words]
    assert not missing, f"{task}: the report has no {missing}"
    headings = [h.text for h in root.iter(XHTML + "h2")]
    for h in ("Results", "Curves", "Model"):
        assert h in headings, f"{task}: no <h2>{h}</h2> in {headings}"
    if task != "binary":
        assert "ROC curve" not in words


# ---------------------------------------------------------------------------------------------
# In the browser


def chromium(url, profile, *args):
    """Runs headless Chromium on url with a fresh profile folder; retries once when it fails."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup does)")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
               # Nothing can reach the network: every host name fails to resolve (the loads
               # are still in the network log, and the page would show what failed).
               "--host-resolver-rules=MAP * ~NOTFOUND", *args, url]
    for _ in range(2):
        try:
            r = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                               errors="replace", timeout=60)
            if r.returncode == 0:
                return r
        except subprocess.TimeoutExpired as e:
            r = e
    pytest.fail(f"chromium failed twice on {url}: {getattr(r, 'stderr', '')!s:.2000}")


class Rendered:
    """What one Chromium call gives of a page: the DOM, the screenshot, stderr, the network log."""

    def __init__(self, path, folder):
        folder.mkdir(parents=True, exist_ok=True)
        self.url = Path(path).resolve().as_uri()
        self.png = folder / "x.png"
        self.net_log = folder / "net.json"
        r = chromium(self.url, folder / "profile", "--dump-dom", f"--screenshot={self.png}",
                     f"--window-size={SCREEN[0]},{SCREEN[1]}", f"--log-net-log={self.net_log}")
        self.dom, self.stderr = r.stdout, r.stderr

    def page_errors(self):
        """stderr lines about the page: console messages (they name its URL), uncaught
        exceptions, failed loads. The rest (dbus, gpu, sandbox) is Chromium's own noise."""
        return [line for line in self.stderr.splitlines()
                if self.url in line or "Uncaught" in line or "Failed to load resource" in line]

    def page_requests(self):
        """The URLs the page asked the network stack for (Chromium's own background requests,
        made for no page, are left out: their isolation key is not the file:// page's)."""
        text = self.net_log.read_text()
        try:
            log = json.loads(text)
        except json.JSONDecodeError:  # a log cut short: close its list of events
            log = json.loads(text.rstrip().rstrip(",") + "]}")
        names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
        urls = []
        for e in log.get("events", []):
            p = e.get("params", {})
            if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p and any(
                    "file:" in str(p.get(k, "")) for k in ("network_isolation_key",
                                                           "site_for_cookies", "initiator")):
                urls.append(p["url"])
        return urls


@pytest.fixture(scope="module")
def render(tmp_path_factory):
    """render(name, path): the page rendered once per module."""
    done = {}

    def get(name, path):
        if name not in done:
            done[name] = Rendered(path, tmp_path_factory.mktemp(f"chromium-{name}"))
        return done[name]

    return get


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("task", TASKS)
def test_chromium_renders_the_charts(request, render, task):
    page = render(task, report_of(request, task))
    assert "</html>" in page.dom, page.dom[-500:]
    charts = re.findall(r"<svg\b.*?</svg>", page.dom, re.S)
    assert len(charts) >= 2, f"{task}: {len(charts)} <svg> in the DOM"
    # The marks drawn: a series, a chart's grid, its ticks and a legend sample are a <path> each,
    # a cell or a bar a <rect> (the binary fixture's loss chart, 2x2 confusion matrix and ROC
    # curve make 16).
    marks = len(re.findall(r"<(?:path|rect|polyline|polygon|circle|line)\b", page.dom))
    assert marks >= 14, f"{task}: {marks} marks (path, rect, line, ...) in the DOM"
    for chart in charts:  # each chart draws data: a line or points, or cells or bars
        title = re.search(r"<title>(.*?)</title>", chart, re.S)
        shapes = len(re.findall(r"<(?:path|polyline|polygon|circle)\b", chart))
        assert shapes or len(re.findall(r"<rect\b", chart)) >= 3, \
            f"{task}: the chart {title and title.group(1)!r} draws no data"
    assert png_size(page.png) == SCREEN
    # A blank page of this size is a 12 KB PNG; the charts make it several times that.
    assert page.png.stat().st_size > 40_000, f"{task}: the screenshot is nearly blank"


@pytest.mark.parametrize("task", TASKS)
def test_chromium_sees_no_console_error_and_no_request(request, render, task):
    page = render(task, report_of(request, task))
    assert not page.page_errors(), "\n".join(page.page_errors())
    assert not page.page_requests(), page.page_requests()


def test_the_browser_checks_catch_a_bad_page(tmp_path, render):
    """The two checks above are not vacuous: a page with a script error, a console error, a
    stylesheet and an image from the web fails both."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" '
                   'href="http://example.invalid/a.css"/></head><body>'
                   '<img src="https://example.invalid/b.png"/><script>console.error("boom");'
                   "no_such_function();</script></body></html>")
    page = render("bad", bad)
    errors = "\n".join(page.page_errors())
    assert "boom" in errors and "Uncaught" in errors, page.stderr[-3000:]
    assert set(page.page_requests()) >= {"http://example.invalid/a.css",
                                         "https://example.invalid/b.png"}, page.page_requests()
