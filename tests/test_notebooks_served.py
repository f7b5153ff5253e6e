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
from urllib.parse import urlparse

import pytest

from .serving import ARGS, CHROMIUM, free_port

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
APPS = sorted(NOTEBOOKS.glob("*.ipynb")) + [NOTEBOOKS / "dashboard.py"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

#: JavaScript: every Plot model of the page's Bokeh documents, and whether a view of it drew a canvas
PLOTS_JS = """() => {
  const out = [];
  const views = Bokeh.index ? [...Bokeh.index.all_views()] : [];
  for (const doc of Bokeh.documents) {
    for (const model of doc._all_models.values()) {
      if (!(model instanceof Bokeh.Models.get("Plot"))) continue;
      const view = views.find(v => v.model === model);
      const canvas = view && view.canvas_view ? view.canvas_view.primary.canvas : null;
      const rect = canvas ? canvas.getBoundingClientRect() : null;
      out.push({id: model.id, title: model.title ? String(model.title.text || "") : "",
                width: rect ? rect.width : 0, height: rect ? rect.height : 0, has_view: Boolean(view)});
    }
  }
  return out;
}"""


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
    assert "Traceback" not in out and "ERROR" not in out, out[-3000:]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does this)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_app(browser, url: str, viewport=(1400, 900)):
    """The page of ``url`` once its Bokeh documents are rendered; ``page.problems`` lists console errors,
    uncaught exceptions, failed requests and requests to other hosts."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: page.problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("request", lambda r: None if urlparse(r.url).scheme in ("data", "blob") or urlparse(r.url).hostname
            in LOCAL_HOSTS else page.problems.append(f"request to another host: {r.url}"))
    page.goto(url, timeout=180_000)
    # the document arrives over the websocket after the page (the server runs the notebook first)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=180_000)
    deadline, last = time.time() + 20, None
    while time.time() < deadline:  # until the plots have settled: two equal readings 0.5 s apart, all drawn
        plots = page.evaluate(PLOTS_JS)
        if plots and plots == last and all(p["width"] > 0 for p in plots):
            break
        last = plots
        time.sleep(0.5)
    return page


@pytest.mark.parametrize("app", APPS, ids=[a.stem for a in APPS])
def test_served_app_renders_its_text_and_plots_offline_without_errors(server, browser, app):
    page = open_app(browser, f"{server['base']}/{app.stem}")
    try:
        failures = list(page.problems)
        title = _title(app)
        if page.get_by_text(title, exact=False).count() == 0:
            failures.append(f"the page does not show its title {title!r}")
        if app.suffix == ".ipynb" and page.get_by_role("heading", name="Questions").count() == 0:
            failures.append("no Questions section")
        plots = page.evaluate(PLOTS_JS)
        if not plots:
            failures.append("no Bokeh plot on the page")
        failures += [f"plot that did not render: {p}" for p in plots
                     if not (p["has_view"] and p["width"] > 0 and p["height"] > 0)]
        assert not failures, f"{app.name}:\n" + "\n".join(failures)
    finally:
        page.close()
