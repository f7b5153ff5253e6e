"""The served dashboard in a real browser: Playwright driving Debian's chromium (never a downloaded one).

`.ci/run` installs chromium (apt); on a machine without /usr/bin/chromium these tests are skipped.
The screenshot lands in artifacts/dashboard.png.
"""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .serving import ARGS, CHROMIUM, free_port, server_log_problems, wait_for

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed "
                                "(apt-get install -y chromium; .ci/run does this)")


@pytest.fixture(scope="module")
def served():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "carbontools.cli", "app", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://localhost:{port}/dashboard"
    wait_for(url)
    yield url
    proc.terminate()
    out, _ = proc.communicate(timeout=20)
    assert not server_log_problems(out), out


@pytest.fixture(scope="module")
def page(served):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        page.console_errors = []
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        page.goto(served)
        page.wait_for_selector("canvas", timeout=90_000)
        yield page
        browser.close()


def _nep_total(page) -> float:
    text = page.locator(".nep-total").first.evaluate("e => (e.shadowRoot || e).textContent")
    return float(re.findall(r"(-?[\d,]+\.\d)\s*$", text.strip())[0].replace(",", ""))


def test_page_loads_without_console_errors_and_draws_maps(page):
    time.sleep(1.0)
    assert page.console_errors == []
    assert page.locator("canvas").count() >= 3  # the three maps (and their colour bars)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))


def test_the_region_picker_shows_that_districts_zonal_total(page):
    """Picking a district in the sidebar's region picker changes the NEP number to that district's zonal total
    (accounting.zonal_totals of the same demo in this process, default knobs, shown to 0.1 Gg C), and back to
    the whole region's with "all".  Runs before the slider test, while the knobs are at their defaults (in the
    page's own session: closing a second page mid-update left a websocket traceback in the server's log)."""
    from carbontools.accounting import zonal_totals
    from carbontools.apps.dashboard import Dashboard

    dash = Dashboard()  # the demo the served app shows, default knobs
    names = [str(n) for n in dash._districts.attrs["names"]]
    totals = zonal_totals(dash.annual()["nep"], dash._districts, unit="Gg C", names=names)["total"]
    whole = _nep_total(page)
    picker = page.locator("select", has=page.locator("option", has_text=names[1]))
    for name in (names[1], "all"):
        picker.select_option(name)
        expected = round(float(totals[name]), 1) if name != "all" else whole
        deadline = time.time() + 30
        while _nep_total(page) != pytest.approx(expected, abs=0.051) and time.time() < deadline:
            time.sleep(0.1)
        assert _nep_total(page) == pytest.approx(expected, abs=0.051), name
    assert whole != pytest.approx(round(float(totals[names[1]]), 1), abs=0.051)
    time.sleep(1.0)
    assert page.console_errors == []


def test_moving_the_eps_max_slider_changes_the_regional_nep(page):
    before = _nep_total(page)
    handle = page.locator(".noUi-handle").first  # the first slider is the eps_max scaling
    handle.focus()
    for _ in range(4):  # 4 steps of 0.05: eps_max x 1.2
        page.keyboard.press("ArrowRight")
    deadline = time.time() + 30
    while _nep_total(page) == before and time.time() < deadline:
        time.sleep(0.1)
    after = _nep_total(page)
    assert after > before, "raising eps_max must raise NPP and so the regional NEP"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard_eps_1.2.png"))
    assert page.console_errors == []


def _scenario_text(page) -> str:
    return page.locator("text=/annual NEP .* t C\\/yr/").first.text_content(timeout=60_000)


def test_the_scenario_tab_catches_up_with_slider_moves_made_while_it_was_hidden(page):
    """Shown, the Scenario tab runs its scenario; hidden, slider moves do not rerun it; shown again, the numbers
    are those of the settings in force (its baseline NEP follows eps_max back down)."""
    page.get_by_text("Scenario", exact=True).click()
    first = _scenario_text(page)
    page.get_by_text("Maps", exact=True).click()
    before = _nep_total(page)
    handle = page.locator(".noUi-handle").first
    handle.focus()
    for _ in range(2):  # eps_max x 1.2 -> x 1.1
        page.keyboard.press("ArrowLeft")
    deadline = time.time() + 30
    while _nep_total(page) == before and time.time() < deadline:
        time.sleep(0.1)
    page.get_by_text("Scenario", exact=True).click()
    deadline = time.time() + 30
    while _scenario_text(page) == first and time.time() < deadline:
        time.sleep(0.1)
    baseline = lambda text: float(re.search(r"annual NEP ([\d,]+) ->", text).group(1).replace(",", ""))  # noqa: E731
    assert baseline(_scenario_text(page)) < baseline(first), "a lower eps_max lowers the district's baseline NEP"
    page.get_by_text("Maps", exact=True).click()
    assert page.console_errors == []
