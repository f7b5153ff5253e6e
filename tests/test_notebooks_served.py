"""`panel serve notebooks/*.ipynb notebooks/dashboard.py` serves every notebook as an app."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_notebook_is_a_servable_app():
    apps = sorted(NOTEBOOKS.glob("*.ipynb")) + [NOTEBOOKS / "dashboard.py"]
    port = _free_port()
    cmd = [sys.executable, "-m", "panel", "serve", *map(str, apps), "--port", str(port), "--address", "127.0.0.1",
           "--allow-websocket-origin", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=NOTEBOOKS.parent)
    try:
        for app in apps:
            url = f"http://127.0.0.1:{port}/{app.stem}"
            deadline, status = time.time() + 180, None
            while time.time() < deadline and status is None:
                try:
                    with urllib.request.urlopen(url, timeout=170) as r:
                        status = r.status
                except OSError:
                    time.sleep(0.5)
            assert status == 200, f"{app.name} did not answer"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "Traceback" not in out and "ERROR" not in out, out[-3000:]
