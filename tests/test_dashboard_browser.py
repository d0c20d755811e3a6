"""The dashboard driven in headless Chromium (Debian's `chromium` and `chromium-driver`,
through Selenium): load the page, change a commission rate, type an invalid value and see
its message, run a small comparison and see the verdict and a flag, cancel a run. Each
state's screenshot is saved under the test's output folder for review.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
SCREENSHOTS = ROOT / "tests" / "output" / "dashboard"

SMALL_COMPARE = """
[run]
name = "dash_compare"
seed = 3
days = 40
replications = 2

[population]
consumers = 1500
neighborhoods = [{ count = 6, city_tier = "tier2" }]

[payout]
preset = "platform"

[[variants]]
name = "current"

[[variants]]
name = "team"
payout = { upline_override = { rates = [0.03] } }
"""

LONG_RUN = """
[run]
name = "dash_long"
seed = 4
days = 3650
replications = 50

[population]
consumers = 20000
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if CHROMIUM is None or DRIVER is None:
        pytest.fail(
            "install chromium and chromium-driver (apt-get install chromium chromium-driver)"
        )
    folder = tmp_path_factory.mktemp("dashboard")
    (folder / "small_compare.toml").write_text(SMALL_COMPARE)
    (folder / "long_run.toml").write_text(LONG_RUN)
    port = free_port()
    results = folder / "results"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "dashboard",
            str(folder / "small_compare.toml"),
            str(folder / "long_run.toml"),
            str(ROOT / "scenarios" / "baseline.toml"),
            "--port",
            str(port),
            "--results",
            str(results),
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None:
                pytest.fail(process.stdout.read().decode(errors="replace"))
            time.sleep(0.5)
    yield url, results
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,2400",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def shot(driver, name: str) -> None:
    """Save a screenshot of the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script(  # the page scrolls inside Solara's app container
        "return Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))"
    )
    driver.set_window_size(1400, min(int(height) + 50, 10_000))
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def wait_for(driver, css: str, text: str | None = None, timeout: float = 60.0):
    """The first element matching `css` (and holding `text`), waiting up to `timeout`."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for element in driver.find_elements(By.CSS_SELECTOR, css):
            try:
                if element.is_displayed() and (text is None or text in element.text):
                    return element
            except Exception:  # re-rendered under us: look again
                continue
        time.sleep(0.25)
    shot(driver, f"timeout-{css.strip('.').replace(' ', '_')}")
    raise AssertionError(f"no {css!r} with {text!r} after {timeout} s")


def pick_scenario(driver, name: str) -> None:
    from selenium.webdriver.common.by import By

    wait_for(driver, ".v-select").click()
    item = wait_for(driver, ".v-menu__content .v-list-item", name)
    item.click()
    wait_for(driver, ".field-run-days")
    time.sleep(1.0)
    assert driver.find_elements(By.CSS_SELECTOR, ".field-run-days")


def type_into(driver, field_css: str, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    for _ in range(3):  # a re-render while typing can swallow keys: type again
        box = wait_for(driver, f"{field_css} input")
        box.click()
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(text)
        try:
            if box.get_attribute("value") == text:
                break
        except Exception:  # re-rendered under us: type again
            continue
    box.send_keys(Keys.TAB)  # the value is taken when the field loses focus


def click(driver, css: str) -> None:
    wait_for(driver, css).click()


def test_load_edit_invalid_value_compare_and_cancel(server, browser):
    url, results = server
    driver = browser
    driver.get(url)
    wait_for(driver, ".v-select", timeout=90)
    shot(driver, "01-loaded")

    pick_scenario(driver, "small_compare.toml")
    rate = ".field-payout-direct_commission-rate"
    type_into(driver, rate, "0.12")
    time.sleep(1.0)
    assert wait_for(driver, f"{rate} input").get_attribute("value") == "0.12"
    assert not driver.find_elements("css selector", f"{rate} .field-error")
    shot(driver, "02-commission-changed")

    type_into(driver, rate, "1.5")
    # wait for the whole value's message: a check of a half-typed "1" can show first
    error = wait_for(driver, f"{rate} .field-error", "allowed: a number >= 0.0 and <= 1.0")
    assert "payout.direct_commission.rate" in error.text
    shot(driver, "03-invalid-value")
    type_into(driver, rate, "abc")
    wait_for(driver, f"{rate} .field-error", "is not a number")
    type_into(driver, rate, "0.12")
    time.sleep(1.0)

    click(driver, ".compare-button")
    verdict = wait_for(driver, ".verdict", timeout=240)
    assert "contribution margin" in verdict.text and "'current'" in verdict.text
    flags = wait_for(driver, ".flags", "team_compensation", timeout=30)
    assert "Decree 444" in flags.text
    assert (
        "download the result folder"
        in wait_for(driver, ".solara-file-download-container").text.lower()
    )
    shot(driver, "04-comparison-verdict-and-flag")
    saved = [p for p in results.iterdir() if (p / "comparison.json").exists()]
    assert len(saved) == 1

    click(driver, ".watch-button")
    assert "day 0:" in wait_for(driver, ".watch-status").text
    click(driver, ".step-30")
    wait_for(driver, ".watch-status", "day 30:")
    shot(driver, "05-watch-a-replication")

    pick_scenario(driver, "long_run.toml")
    click(driver, ".run-button")
    wait_for(driver, ".job-status", "running", timeout=60)
    shot(driver, "06-running")

    # a second tab is its own session: it sees no job and cannot cancel the first tab's
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(url)
    wait_for(driver, ".run-button", timeout=90)
    assert "running" not in driver.find_element("css selector", ".job-status").text
    cancel = driver.find_element("css selector", ".cancel-button")
    assert cancel.get_attribute("disabled") is not None
    shot(driver, "07-second-tab")
    driver.close()
    driver.switch_to.window(first)

    click(driver, ".cancel-button")
    wait_for(driver, ".job-status", "cancelled", timeout=30)
    shot(driver, "08-cancelled")
    time.sleep(2.0)
    assert not any("dash_long" in p.name for p in results.iterdir())  # nothing saved
