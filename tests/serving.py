"""What the tests that serve apps share: a free port, waiting for a server, Debian's chromium and its flags."""

import re
import shutil
import socket
import time
import urllib.request
from urllib.parse import urlparse

#: Debian's chromium (never a downloaded browser); .ci/run installs it
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: flags for a headless chromium in a container without network (ENVIRONMENT.md)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 90.0, request_timeout: float = 30.0) -> int | None:
    """Poll ``url`` until it answers; its HTTP status, or None if it never did within ``timeout`` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=request_timeout) as response:
                return response.status
        except OSError:
            time.sleep(0.5)
    return None


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
                width: rect ? rect.width : 0, height: rect ? rect.height : 0, has_view: Boolean(view),
                top: rect ? rect.top : null, right: rect ? rect.right : null});
    }
  }
  return out;
}"""


def open_app(browser, url: str, viewport=(1400, 900)):
    """The page of ``url`` once its Bokeh documents are rendered; ``page.problems`` lists console errors,
    uncaught exceptions, failed requests and requests to other hosts."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(f"uncaught: {e}"))
    page.on("response", lambda r: page.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
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


#: asyncio's report of a websocket write that lost the race with a browser closing its page: the client went away
#: while the server was still sending an update (tornado raises WebSocketClosedError from StreamClosedError).
#: It says nothing about the app, and it happens at teardown when a test closes its browser.
_CLIENT_GONE = re.compile(
    r"^[^\n]*Task exception was never retrieved\n"
    r"future: <Task finished[^\n]*exception=WebSocketClosedError\(\)>\n"
    r".*?^tornado\.websocket\.WebSocketClosedError$\n?",
    re.MULTILINE | re.DOTALL)


def server_log_problems(out: str, words=("Traceback",)) -> str:
    """The server's log ``out`` without the benign client-disconnect reports, if any of ``words`` is left in it
    (else the empty string); a test asserts this is empty, so that any other traceback fails it."""
    rest = _CLIENT_GONE.sub("", out)
    return rest if any(w in rest for w in words) else ""
