"""Fixtures of the end-to-end tests: live servers of the project (one per kind, started on first use) and a
headless Debian Chromium with a watchdog on every page.

The tests skip, saying why, when /usr/bin/chromium (E2E_CHROMIUM) or the `playwright` package is missing;
CI installs both (.ci/run, requirements.txt) and sets E2E_REQUIRED=1, which turns those skips into failures.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, ChatUI, PageWatch
from .servers import LiveSite


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the item, and attach the server's log and the page's console to failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.failed:
        site = item.funcargs.get("site") if hasattr(item, "funcargs") else None
        if isinstance(site, LiveSite):
            report.sections.append((f"{site.kind} server log (tail)", site.log_tail()))
        ui = item.funcargs.get("ui") if hasattr(item, "funcargs") else None
        if isinstance(ui, ChatUI):
            report.sections.append(("browser console, errors and API requests", ui.watch.report()))
    return report


@pytest.fixture(scope="session")
def e2e_ready() -> None:
    """Skip (visibly) unless both the browser and its driver are here; fail instead with E2E_REQUIRED=1 (CI)."""
    give_up = pytest.fail if os.environ.get("E2E_REQUIRED") == "1" else pytest.skip
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        give_up(f"{CHROMIUM} is missing: the end-to-end tests need Debian's chromium (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        give_up("the `playwright` package is missing: the end-to-end tests need it (requirements.txt)")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/e2e/, emptied once per session so that every screenshot there is from this run."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def live_sites(e2e_ready, fake_openai_server, tmp_path_factory) -> Iterator[dict[str, LiveSite]]:
    """Servers by kind ("wsgi": manage.py runserver, "asgi": uvicorn), each started when first asked for."""
    started: list[LiveSite] = []
    failures: dict[str, str] = {}

    class Sites(dict):
        def __missing__(self, kind: str) -> LiveSite:
            if kind in failures:
                pytest.fail(f"the {kind} server failed to start earlier:\n{failures[kind]}", pytrace=False)
            site = LiveSite(kind, tmp_path_factory.mktemp(f"e2e-{kind}"), fake_openai_server.base_url)
            started.append(site)  # stopped below even if it fails to start
            try:
                site.start()
            except RuntimeError as exc:
                failures[kind] = str(exc)
                pytest.fail(str(exc), pytrace=False)
            self[kind] = site
            return site

    yield Sites()
    for site in started:
        site.stop()


@pytest.fixture
def site_kind() -> str:
    """Which server a test runs against; tests parametrize it to run against both."""
    return "wsgi"


@pytest.fixture
def site(live_sites, site_kind, fake_openai) -> LiveSite:
    """The live server of this test's kind; the fake model is reset (default script, zero counters)."""
    return live_sites[site_kind]


@pytest.fixture(scope="module")
def chromium(e2e_ready) -> Iterator[object]:
    """The browser, for one module at a time: Playwright's sync API keeps an event loop marked as running in
    this thread while it is started, which would break the suite's asyncio tests that run after these."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 1280, "height": 800}


@pytest.fixture
def ui(request, chromium, site, artifacts, viewport) -> Iterator[ChatUI]:
    """A fresh browser context (no cookies) with one page on the live site, watched for errors."""
    mobile = viewport["width"] < 600
    context = chromium.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="en-US", reduced_motion="no-preference"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch()
    watch.attach(context, page)
    chat = ChatUI(page, watch, site, shot_prefix=site.kind)
    try:
        yield chat
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.passed:
            watch.assert_clean()  # a console error or CSP violation after the test's last check still fails
    finally:
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.failed:
            from playwright.sync_api import Error as PlaywrightError

            try:
                chat.shot("FAILED-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-"))
            except PlaywrightError as exc:  # the page may be gone; the report has the console anyway
                print(f"no screenshot of the failure: {exc}")
        context.close()
