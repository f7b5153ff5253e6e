"""The notebooks and the dashboard as Panel apps inside JupyterLab (Binder, JupyterHub, a local Lab).

jupyter-server-proxy finds :func:`server` through the ``jupyter_serverproxy_servers`` entry point
of the package (pyproject.toml) and starts ``panel serve`` on first request at
``<server>/carbontools/``: ``/carbontools/dashboard``, ``/carbontools/02_casa_npp`` and so on (on
Binder: ``?urlpath=carbontools/dashboard``).  The app files are found from this package's own
location, so the Jupyter server may be started from any folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: the URL prefix below the Jupyter server's base URL (the entry point's name)
PREFIX = "carbontools"


def app_files() -> list[Path]:
    """The served apps: notebooks/*.ipynb and notebooks/dashboard.py of the checkout this package runs from."""
    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    if not (notebooks / "dashboard.py").is_file():
        raise FileNotFoundError(f"the carbontools apps are the notebooks of a checkout of the repository, and "
                                f"{notebooks} has none: install carbontools from a checkout (pip install -e .)")
    return sorted(notebooks.glob("[0-9]*.ipynb")) + [notebooks / "dashboard.py"]


def command(port: int, base_url: str = "/") -> list[str]:
    """The ``panel serve`` command line jupyter-server-proxy runs (``{port}``/``{base_url}`` filled in)."""
    return [sys.executable, "-m", "panel", "serve", *map(str, app_files()), "--port", str(port),
            "--prefix", f"{base_url.rstrip('/')}/{PREFIX}", "--allow-websocket-origin", "*",
            "--plugins", __name__]


def server() -> dict:
    """The jupyter-server-proxy specification of the carbontools apps."""
    return {
        "command": command,
        "absolute_url": True,
        "timeout": 120,
        "launcher_entry": {"enabled": True, "title": "carbontools apps"},
    }


# --- a favicon below the prefix ------------------------------------------------------------------
# Bokeh's server answers /favicon.ico at the server's root only, whatever --prefix says, while Panel's
# pages ask for ./favicon.ico below the prefix: behind the proxy that is a 404 in every page's console.
# Panel adds the ROUTES of a --plugins module below the prefix; this one serves Panel's own icon there.

def _favicon_handler():
    from panel.io.resources import DIST_DIR
    from tornado.web import RequestHandler

    icon = (Path(DIST_DIR) / "images" / "favicon.ico").read_bytes()

    class Favicon(RequestHandler):
        def get(self):
            self.set_header("Content-Type", "image/x-icon")
            self.write(icon)

    return Favicon


def __getattr__(name: str):
    """``ROUTES``, built when Panel asks for it (the Jupyter server imports this module without Panel)."""
    if name == "ROUTES":
        return [("/favicon.ico", _favicon_handler(), {})]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

