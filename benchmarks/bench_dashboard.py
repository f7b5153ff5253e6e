"""Issue 14, benchmark 4: the dashboard after a move of the eps_max slider on a 1000 x 1000 x 12 scene.

    .venv/bin/python benchmarks/bench_dashboard.py [--size 1000] [--moves 7] [--skip-browser]

Server side: a Dashboard on ``demo.delta_city(size, years=(2021,))`` (12 months), warmed up, then for each
of --moves slider positions the seconds to recompute what the Maps tab shows (summary() and maps()),
the same with Panel's Bokeh models of the indicators and the three maps built (what the server sends),
and the Land cover & districts tab (tables()).  Medians over the moves.

In headless chromium (Debian's, driven by Playwright as in tests/serving.py): the same scene served by
Panel from a subprocess; per key press (ArrowRight / ArrowLeft on the focused eps_max handle), the
seconds from the press to the regional NEP number changing on the page.  The browser and the server
share the machine's cores, so the figures are an upper bound.  For a "before" figure run this file
with PYTHONPATH pointing at a checkout of the earlier code.
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
NUMBER = re.compile(r"(-?[\d,]+\.\d)\s*$")


def _drivers(size: int):
    from carbontools import demo

    return demo.delta_city(size=size, years=(2021,))


def server_side(size: int, moves: int) -> None:
    import holoviews as hv
    import panel as pn

    from carbontools.apps.dashboard import Dashboard

    hv.extension("bokeh")
    t = time.perf_counter()
    dash = Dashboard(_drivers(size))
    print(f"Dashboard({size} x {size} x 12) built (CASA once, shared state): {time.perf_counter() - t:.1f} s")
    pn.panel(dash.indicators()).get_root(), pn.panel(dash.maps()).get_root(), dash.tables()  # warm up
    values = [round(1.0 + 0.05 * (i + 1) * (-1) ** i, 2) for i in range(moves)]  # 0.95, 1.1, 0.85, ...
    data, models, tables = [], [], []
    for v in values:
        dash.eps_scale = v
        t0 = time.perf_counter()
        dash.summary(), dash.maps()
        data.append(time.perf_counter() - t0)
        dash.eps_scale = 1.0 + (v - 1.0) / 2  # another new setting for the run with the models
        t0 = time.perf_counter()
        pn.panel(dash.indicators()).get_root(), pn.panel(dash.maps()).get_root()
        models.append(time.perf_counter() - t0)
        dash.eps_scale = v + 0.025
        t0 = time.perf_counter()
        dash.tables()
        tables.append(time.perf_counter() - t0)
    med = statistics.median
    print(f"server side, eps_max slider move, median of {moves} (min-max) s:")
    print(f"  summary() + maps()                          {med(data):.3f}  ({min(data):.3f}-{max(data):.3f})")
    print(f"  indicators + maps with their Bokeh models   {med(models):.3f}  ({min(models):.3f}-{max(models):.3f})")
    print(f"  tables() (Land cover & districts tab)       {med(tables):.3f}  ({min(tables):.3f}-{max(tables):.3f})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(size: int, port: int) -> None:
    """Serve the dashboard of the benchmark's scene (run in a subprocess by :func:`browser`)."""
    import panel as pn

    from carbontools.apps.dashboard import build_dashboard, shared_state

    drivers = _drivers(size)
    shared_state(drivers)  # build the shared state before the first page asks
    # as carbontools.cli serves it
    pn.serve({"dashboard": lambda: build_dashboard(drivers)}, port=port, address="127.0.0.1", show=False,
             websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}"], title="carbontools", print_url=False)


async def _presses(url: str, presses: int) -> tuple[float, list[float]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        start = time.perf_counter()
        await page.goto(url, timeout=600_000)
        nep = page.locator(".nep-total").first

        async def shown():
            match = NUMBER.search((await nep.evaluate("e => (e.shadowRoot || e).textContent")).strip())
            return match.group(1) if match else None

        await nep.wait_for(timeout=600_000)
        while await shown() is None:
            await asyncio.sleep(0.02)
        first = time.perf_counter() - start
        await asyncio.sleep(3.0)  # let the maps draw
        handle = page.locator(".noUi-handle").first  # the eps_max scaling slider
        await handle.focus()
        times = []
        for i in range(presses):
            before = await shown()
            t0 = time.perf_counter()
            await page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            while await shown() == before:
                if time.perf_counter() - t0 > 60:
                    raise RuntimeError("the regional NEP did not change within 60 s of the key press")
                await asyncio.sleep(0.01)
            times.append(time.perf_counter() - t0)
            await asyncio.sleep(2.0)  # the maps arrive after the number: let them settle
        await browser.close()
    return first, times


def browser(size: int, presses: int) -> None:
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--size", str(size)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/dashboard"
    try:
        deadline = time.time() + 600
        while True:
            try:
                urllib.request.urlopen(url, timeout=300).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("the dashboard server did not answer") from None
                time.sleep(0.5)
        first, times = asyncio.run(_presses(url, presses))
        print(f"headless chromium, {size} x {size} x 12: first page to the NEP number {first:.1f} s; key press on "
              f"the eps_max slider to the number changing, median of {presses}: {statistics.median(times):.2f} s "
              f"({min(times):.2f}-{max(times):.2f})")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=7)
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.size, args.serve)
        return
    server_side(args.size, args.moves)
    if not args.skip_browser:
        browser(args.size, args.moves)


if __name__ == "__main__":
    main()
