"""A real browser for the pages: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import math
import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from werkzeug.serving import make_server

from bhc import config as config_module
from bhc.app import create_app
from bhc.bootstrap import build
from bhc.users import services as users
from tests.conftest import FAKE_CARRIER_CPS
from tests.e2e.conftest import free_port, running
from tests.integration.conftest import FakeCarrier

# A person clicks more slowly than a script presses keys: the phone network runs at 1/3 of real
# time here, and menus wait and phones ring PERSON_WINDOW_S real seconds, so neither is over
# before a click lands on a loaded machine.
BROWSER_TIME_SCALE = 0.3
PERSON_WINDOW_S = 15.0
# How long Playwright waits for an element or a page (what takes well under a second idle).
PAGE_TIMEOUT_MS = 30_000
PASSWORD = "correct horse battery"  # of the admins and coordinators the tests make

CHROMIUM = Path(os.environ.get("BHC_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]


@pytest.fixture
def live(database_url):
    yield from running(database_url, BROWSER_TIME_SCALE, key_window_s=PERSON_WINDOW_S,
                       matching={"ring_timeout_s": math.ceil(PERSON_WINDOW_S
                                                             / BROWSER_TIME_SCALE)})


# Reports every Content-Security-Policy violation to the console, with where it happened.
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", e =>
    console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI
                  + " at " + e.sourceFile + ":" + e.lineNumber));"""


class WatchedBrowser:
    """The browser, with every context watched: each page must arrive with a
    Content-Security-Policy, and nothing on it may be refused by that policy (so no page needs
    an 'unsafe-inline' or other exception). A test fails on any such finding."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.findings: list[str] = []

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        context.on("response", self._response)
        return context

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("CSP "):
            self.findings.append(f"{message.text} ({message.location.get('url')})")

    def _response(self, response) -> None:
        if (response.request.resource_type == "document"
                and "content-security-policy" not in response.headers):
            self.findings.append(f"{response.url} came without a Content-Security-Policy")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required under CI (.ci/run installs it)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield WatchedBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def nothing_refused_by_the_csp(request):
    """Every browser test runs with the pages' CSP on and fails if it blocked anything."""
    if "browser" not in request.fixturenames:
        yield
        return
    watched = request.getfixturevalue("browser")
    watched.findings.clear()
    yield
    found, watched.findings[:] = list(watched.findings), []
    assert not found, "the Content-Security-Policy was missing or blocked something:\n" + \
        "\n".join(found)


def new_page(browser, locale: str = "nl-NL", **options):
    """A context of its own (the caller closes it) and its page, waiting PAGE_TIMEOUT_MS."""
    context = browser.new_context(locale=locale, **options)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return context, page


def sign_in(page, url: str, email: str, password: str = PASSWORD) -> None:
    """The sign-in form, filled in and sent as a person finds it: by its labels."""
    page.goto(f"{url}/admin/login")
    page.get_by_label("E-mailadres", exact=True).fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.locator("main").get_by_role("button", name="Inloggen", exact=True).click()


def signed_in(browser, url: str, email: str, **options):
    """A new context signed in as ``email``, its page on the dashboard."""
    context, page = new_page(browser, **options)
    sign_in(page, url, email)
    page.wait_for_url(f"{url}/admin/")
    return context, page


@pytest.fixture
def page(browser):
    context, page = new_page(browser)
    yield page
    context.close()


def my_phone(page):
    """The demo phone page's own phone: its buttons, keypad and transcript."""
    return page.get_by_role("region", name="Mijn telefoon")


def heard(page, start: str):
    """The one line of the phone page's own transcript that begins with ``start`` (so that
    "Uw code is: " is not also "Nog een keer, uw code is: ")."""
    return page.locator("#myTranscript").get_by_text(re.compile("^" + re.escape(start)))


@contextmanager
def served_site(sqlite_template: Path, folder: Path):
    """The coordinators' pages served over HTTP on a copy of the migrated SQLite template,
    with the carrier faked: yields the exchange (to seed) and its URL."""
    path = folder / "bhc.sqlite3"
    shutil.copy(sqlite_template, path)
    port = free_port()
    config = config_module.from_mapping({
        "server": {"public_url": f"http://127.0.0.1:{port}", "port": port},
        "database": {"url": f"sqlite:///{path}"},
        "matching": {"quiet_hours": ""},
        "twilio": {"calls_per_second": FAKE_CARRIER_CPS},
    })
    with pytest.MonkeyPatch.context() as patch:
        # Argon2 at production cost takes ~0.1 s a hash; these tests sign in several times.
        patch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                       parallelism=1))
        exchange = build(config, carrier=FakeCarrier())
        server = make_server("127.0.0.1", port, create_app(exchange), threaded=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        try:
            yield exchange, config.server.public_url
        finally:
            server.shutdown()
            exchange.stop()
