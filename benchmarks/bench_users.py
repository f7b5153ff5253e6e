"""A class opening the dashboard at once: N browser tabs on one served dashboard; prints each tab's time.

    .venv/bin/python benchmarks/bench_users.py [--users 1 4 20] [--port 5077]

Serves ``carbontools app`` in a subprocess, then opens N pages together in Debian's chromium
(Playwright, one browser, one context per user, so N separate sessions) and times, per page, the
seconds from the request to the regional NEP number being shown.  The browser runs on the same two
cores as the server, so the figures are an upper bound of what N students on their own machines see.
A first single tab warms the server (imports, the process-wide cache) and is reported separately.
"""

import argparse
import asyncio
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
NUMBER = re.compile(r"-?[\d,]+\.\d")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _one(browser, url: str) -> float:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(url, timeout=600_000)
    nep = page.locator(".nep-total").first
    await nep.wait_for(timeout=600_000)
    while not NUMBER.search(await nep.evaluate("e => (e.shadowRoot || e).textContent")):
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    await context.close()
    return elapsed


async def _wave(url: str, users: int) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        times = await asyncio.gather(*[_one(browser, url) for _ in range(users)])
        await browser.close()
    return list(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, nargs="+", default=[1, 4, 20])
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    port = args.port or _free_port()
    server = subprocess.Popen([sys.executable, "-m", "carbontools.cli", "app", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}/dashboard"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(url, timeout=60).close()
                break
            except OSError:
                time.sleep(0.5)
        first = asyncio.run(_wave(url, 1))[0]
        print(f"first tab after the server started (includes its warm-up): {first:.1f} s")
        print(f"{'users':>5}  {'median s':>8}  {'max s':>6}  {'min s':>6}")
        for n in args.users:
            times = asyncio.run(_wave(url, n))
            print(f"{n:>5}  {statistics.median(times):>8.1f}  {max(times):>6.1f}  {min(times):>6.1f}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
