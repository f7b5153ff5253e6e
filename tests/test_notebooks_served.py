"""`panel serve notebooks/*.ipynb notebooks/dashboard.py`: every app opened in chromium, as a student opens it.

One `panel serve` process serves all apps; one browser (Debian's chromium driven by Playwright, never a
downloaded one) opens each.  An app fails on a console error, on a request to any host but this machine
(the apps must work offline), on a page without its teaching text, and on a Bokeh plot that did not render:
every Plot model of the page's documents must have a view whose canvas has a nonzero size (a plot whose
view failed to build, e.g. on a factor-range error, has none).
"""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .serving import ARGS, CHROMIUM, PLOTS_JS, free_port, open_app, server_log_problems

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
APPS = sorted(NOTEBOOKS.glob("*.ipynb")) + [NOTEBOOKS / "dashboard.py"]
def _title(app: Path) -> str:
    """The heading a student must see: the notebook's first `# ` line, the dashboard's page title."""
    if app.suffix == ".py":
        return "carbontools: urban and regional carbon balance"
    for cell in json.loads(app.read_text(encoding="utf-8"))["cells"]:
        text = "".join(cell["source"]).lstrip()
        if cell["cell_type"] == "markdown" and text.startswith("# "):
            return text[2:].splitlines()[0].strip()
    raise AssertionError(f"{app.name} has no `# ` title")


@pytest.fixture(scope="module")
def server():
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", *map(str, APPS), "--port", str(port), "--address", "127.0.0.1",
           "--allow-websocket-origin", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/static/extensions/panel/panel.min.js", timeout=10).close()
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"panel serve did not start: {proc.communicate()[0][-3000:]}")
            time.sleep(0.3)
    yield {"base": base}
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    assert not server_log_problems(out, words=("Traceback", "ERROR")), out[-3000:]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does this)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _appears(locator, timeout_ms: float = 60_000) -> bool:
    """Whether ``locator`` is (or within ``timeout_ms`` comes to be) in the page: the plots can settle before the
    last markdown panes arrive on a loaded machine (a notebook's Questions heading once missed an instant check)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.first.wait_for(state="attached", timeout=timeout_ms)
        return True
    except PlaywrightTimeout:
        return False


@pytest.mark.parametrize("app", APPS, ids=[a.stem for a in APPS])
def test_served_app_renders_its_text_and_plots_offline_without_errors(server, browser, app):
    page = open_app(browser, f"{server['base']}/{app.stem}")
    try:
        failures = list(page.problems)
        title = _title(app)
        if not _appears(page.get_by_text(title, exact=False)):
            failures.append(f"the page does not show its title {title!r}")
        if app.suffix == ".ipynb" and not _appears(page.get_by_role("heading", name="Questions")):
            failures.append("no Questions section")
        plots = page.evaluate(PLOTS_JS)
        if not plots:
            failures.append("no Bokeh plot on the page")
        failures += [f"plot that did not render: {p}" for p in plots
                     if not (p["has_view"] and p["width"] > 0 and p["height"] > 0)]
        assert not failures, f"{app.name}:\n" + "\n".join(failures)
    finally:
        page.close()


def test_the_dashboard_maps_fit_side_by_side_on_a_projector(server, browser):
    """At 1024 x 768 (a projector) NPP, Rh and NEP stand in one row, inside the window."""
    page = open_app(browser, f"{server['base']}/dashboard", viewport=(1024, 768))
    try:
        maps = [p for p in page.evaluate(PLOTS_JS) if p["title"].startswith(("NPP ", "Rh ", "NEP "))]
    finally:
        page.close()
    assert len(maps) == 3, maps
    assert max(m["top"] for m in maps) - min(m["top"] for m in maps) < 5, f"the maps wrap: {maps}"
    assert max(m["right"] for m in maps) <= 1024, maps
