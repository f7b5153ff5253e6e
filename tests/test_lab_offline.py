"""Notebooks opened in JupyterLab work without a network: no request leaves the machine, every plot draws.

A notebook is executed (as a user running all its cells would), signed as trusted (JupyterLab runs the
outputs' scripts only for trusted notebooks), and opened in JupyterLab in Debian's chromium.  Before
``carbontools.apps.notebook.extension`` the page asked cdn.holoviz.org and cdn.bokeh.org for 42 files
(ERR_NAME_NOT_RESOLVED in the console): hvplot's import reloaded the extension without ``inline``, and
HoloViews rendered cell results with stylesheets from the CDN.
"""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.sign import NotebookNotary
import pytest
from nbclient import NotebookClient

from .serving import ARGS, CHROMIUM, PLOTS_JS, free_port, open_app, wait_for

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))


def _first_code_cell(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_loads_the_offline_extension_before_hvplot(path):
    source = _first_code_cell(path)
    assert "from carbontools.apps.notebook import extension" in source, path.name
    call = source.index("\nextension(")
    assert "hv.extension(" not in source and "pn.extension(" not in source, path.name
    assert all(source.find(f"import hvplot.{m}") in (-1,) or source.find(f"import hvplot.{m}") > call
               for m in ("xarray", "pandas")), f"{path.name}: hvplot is imported before extension()"


@pytest.fixture(scope="module")
def lab_with_executed_notebook(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    nb = nbformat.read(REPO / "notebooks" / "02_casa_npp.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO / "notebooks")}}
                   ).execute()
    (root / "jupyter-data").mkdir()
    NotebookNotary(data_dir=str(root / "jupyter-data")).sign(nb)  # trusted, for JupyterLab started below
    nbformat.write(nb, root / "executed.ipynb")
    port = free_port()
    env_args = [f"--NotebookNotary.data_dir={root / 'jupyter-data'}"]
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.token=",
           "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1",
           *env_args]
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/api/status", request_timeout=10)
    yield base
    proc.terminate()
    proc.communicate(timeout=30)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_an_executed_notebook_in_jupyterlab_requests_nothing_from_outside_and_draws_its_plots(
        lab_with_executed_notebook):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = open_app(browser, f"{lab_with_executed_notebook}/lab/tree/executed.ipynb")
        plots = page.evaluate(PLOTS_JS)
        # JupyterLab's own server API may answer 404 (a workspace or setting not written yet); the console line of
        # a 404 does not name its URL, the HTTP entry does: keep those, except for the lab's API
        problems = [p for p in page.problems if "status of 404" not in p
                    and not (p.startswith("HTTP 404") and ("/api/" in p))]
        browser.close()
    assert problems == [], "\n".join(problems)
    # JupyterLab draws the outputs of the cells in view (and may defer the others on a loaded machine): the plots
    # in view must have drawn, with nothing fetched from outside (above)
    drawn = [p for p in plots if p["has_view"] and p["width"] > 0]
    assert drawn, plots
