"""A real browser for the pages: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import running

# A person clicks more slowly than a script presses keys: run the phone network at 1/3 of real
# time here, so a menu is not repeated (and the call ended) before the click lands.
BROWSER_TIME_SCALE = 0.3

CHROMIUM = Path(os.environ.get("BHC_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]


@pytest.fixture
def live(database_url):
    yield from running(database_url, BROWSER_TIME_SCALE)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required under CI (.ci/run installs it)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
