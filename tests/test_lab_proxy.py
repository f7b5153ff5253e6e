"""The Binder launch path: JupyterLab with jupyter-server-proxy serves the apps at <server>/carbontools/.

JupyterLab is started from a folder that is not the repository (the apps are found from the package's
location, not from the server's working directory), then the dashboard and one notebook app are
opened in Debian's chromium through the proxy: maps drawn, no console error.
"""

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from carbontools.apps import proxy

from .serving import ARGS, CHROMIUM, free_port, server_log_problems, wait_for

REPO = Path(__file__).resolve().parents[1]


def test_the_proxy_entry_point_is_installed():
    (ep,) = [e for e in entry_points(group="jupyter_serverproxy_servers") if e.name == proxy.PREFIX]
    spec = ep.load()()
    assert spec["absolute_url"] is True  # panel serve gets the full path, --prefix matches it
    cmd = spec["command"](port=1234, base_url="/user/someone/")
    assert cmd[cmd.index("--prefix") + 1] == "/user/someone/carbontools"
    apps = {Path(a).name for a in cmd if a.endswith((".ipynb", ".py"))}
    assert apps == {p.name for p in (REPO / "notebooks").glob("[0-9]*.ipynb")} | {"dashboard.py"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port = free_port()
    cwd = tmp_path_factory.mktemp("elsewhere")  # not the repository: the proxy must not depend on it
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.token=",
           "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={REPO}", "--ServerApp.ip=127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/api/status", request_timeout=10)
    yield base
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    assert not server_log_problems(out), out[-3000:]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("app, min_canvases", [("dashboard", 3), ("02_casa_npp", 1)])
def test_apps_render_through_the_jupyterlab_proxy(lab, app, min_canvases):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url', '')}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{lab}/{proxy.PREFIX}/{app}", timeout=240_000)
        page.wait_for_selector("canvas", timeout=240_000)
        page.wait_for_timeout(2000)
        canvases = page.locator("canvas").count()
        browser.close()
    assert errors == [], errors
    assert canvases >= min_canvases, f"{app}: {canvases} canvas(es) drawn"
