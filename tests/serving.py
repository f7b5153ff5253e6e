"""What the tests that serve apps share: a free port, waiting for a server, Debian's chromium and its flags."""

import shutil
import socket
import time
import urllib.request

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
