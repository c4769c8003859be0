"""The browser side of the end-to-end tests: Debian's Chromium driven by Playwright, a watchdog on the page's
console, errors, CSP violations and API traffic, and a small vocabulary for the chat page (`ChatUI`)."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .servers import BASE_DIR, LiveSite

# Debian's chromium (apt-get install -y chromium); never a browser that Playwright downloads.
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = BASE_DIR / "test-artifacts" / "e2e"
TIMEOUT_MS = 10_000

# Installed before any script of every page: reports each CSP violation to the test through a binding (bindings
# and init scripts come from the DevTools protocol, so the page's own policy does not block them).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__e2eReportCsp({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
    page: location.href,
  });
});
"""


@dataclass
class ConsoleEntry:
    type: str
    text: str
    url: str

    def __str__(self) -> str:
        return f"console.{self.type}: {self.text}" + (f" ({self.url})" if self.url else "")


@dataclass
class ApiRequest:
    at: float
    method: str
    path: str
    status: int | None = None  # None: no response (yet)


@dataclass
class PageWatch:
    """Everything the page said or did that a test may want to fail on or count."""

    console: list[ConsoleEntry] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict[str, Any]] = field(default_factory=list)
    api_requests: list[ApiRequest] = field(default_factory=list)
    _allowed: list[tuple[re.Pattern[str], re.Pattern[str] | None]] = field(default_factory=list)
    _in_flight: dict[Any, ApiRequest] = field(default_factory=dict)

    def attach(self, context: Any, page: Any) -> None:
        context.expose_binding("__e2eReportCsp", lambda _source, violation: self.csp_violations.append(violation))
        context.add_init_script(_CSP_LISTENER)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{error.name}: {error.message}\n{error.stack}"))
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfinished", self._on_request_done)
        page.on("requestfailed", self._on_request_done)

    def _on_console(self, message: Any) -> None:
        location = message.location or {}
        self.console.append(ConsoleEntry(message.type, message.text, location.get("url", "")))

    def _on_request(self, request: Any) -> None:
        path = urlsplit(request.url).path
        if path.startswith("/api/"):
            entry = ApiRequest(time.monotonic(), request.method, path)
            self.api_requests.append(entry)
            self._in_flight[request] = entry

    def _on_response(self, response: Any) -> None:
        entry = self._in_flight.get(response.request)
        if entry is not None:
            entry.status = response.status

    def _on_request_done(self, request: Any) -> None:
        self._in_flight.pop(request, None)

    def allow_console_error(self, text: str, url: str | None = None) -> None:
        """Expect console errors matching `text` (a regex), optionally only those whose source URL matches `url`."""
        self._allowed.append((re.compile(text), re.compile(url) if url else None))

    def _allowed_entry(self, entry: ConsoleEntry) -> bool:
        return any(text.search(entry.text) and (url is None or url.search(entry.url)) for text, url in self._allowed)

    def problems(self) -> list[str]:
        found = [f"CSP violation: {violation}" for violation in self.csp_violations]
        for entry in self.console:
            csp = "Content Security Policy" in entry.text  # whatever the level Chromium logs it at
            if csp or (entry.type == "error" and not self._allowed_entry(entry)):
                found.append(str(entry))
        found += [f"uncaught page error: {error}" for error in self.page_errors]
        return found

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "the page reported problems:\n" + "\n".join(problems)

    def api_since(self, moment: float) -> list[ApiRequest]:
        return [request for request in self.api_requests if request.at >= moment]

    def report(self) -> str:
        lines = [str(entry) for entry in self.console]
        lines += [f"pageerror: {error}" for error in self.page_errors]
        lines += [f"csp: {violation}" for violation in self.csp_violations]
        lines += [f"api: {r.method} {r.path} -> {r.status}" for r in self.api_requests[-40:]]
        return "\n".join(lines) or "(nothing)"


class ChatUI:
    """The chat page as a person sees it, through the `data-testid` hooks documented in frontend/README.md."""

    def __init__(self, page: Any, watch: PageWatch, site: LiveSite, shot_prefix: str) -> None:
        self.page = page
        self.watch = watch
        self.site = site
        self.shot_prefix = shot_prefix
        self.shots: list[Path] = []

    # --- navigation and evidence ---------------------------------------------------------------------------

    def open(self, path: str = "/") -> None:
        self.page.goto(self.site.url + path)
        self.wait_until_mounted()

    def reload(self) -> None:
        self.page.reload()
        self.wait_until_mounted()

    def wait_until_mounted(self) -> None:
        """The React app rendered either the sign-in prompt or the chat."""
        self.page.locator("[data-testid=sign-in-prompt], [data-testid=thread-list]").first.wait_for()

    def shot(self, state: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.shot_prefix}-{state}.png"
        self.page.screenshot(path=str(path))
        self.shots.append(path)
        return path

    def by_id(self, test_id: str) -> Any:
        return self.page.get_by_test_id(test_id)

    # --- signing in ----------------------------------------------------------------------------------------

    def sign_in(self, user_id: str, *, keyboard: bool = False) -> None:
        """Sign in from the signed-out prompt's development form, in the personal workspace."""
        prompt = self.by_id("sign-in-prompt")
        prompt.wait_for()
        user_field = prompt.get_by_test_id("dev-user-id")
        if keyboard:
            for _ in range(15):
                if self.active_test_id() == "dev-user-id":
                    break
                self.page.keyboard.press("Tab")
            assert self.active_test_id() == "dev-user-id", "Tab never reached the user id field"
            self.page.keyboard.press("ControlOrMeta+a")
            self.page.keyboard.type(user_id)
            self.page.keyboard.press("Enter")
        else:
            user_field.fill(user_id)
            prompt.get_by_test_id("dev-sign-in-submit").click()
        self.by_id("composer-input").wait_for()  # the thread list may be folded away on a phone
        self.expect_identity(user_id)

    def switch_workspace(self, user_id: str, org_id: str | None, org_slug: str | None = None) -> None:
        """Use the banner's switcher: same user, another organization (or the personal workspace)."""
        from playwright.sync_api import expect

        banner = self.by_id("dev-banner")
        banner.get_by_test_id("dev-switcher").click()
        form = banner.get_by_test_id("dev-sign-in-form")
        form.get_by_test_id("dev-user-id").fill(user_id)
        form.get_by_test_id("dev-org-id").fill(org_id or "")
        if org_id:
            form.get_by_test_id("dev-org-slug").fill(org_slug or "")
        with self.page.expect_response(lambda r: "/api/threads?status=regular" in r.url, timeout=TIMEOUT_MS):
            form.get_by_test_id("dev-sign-in-submit").click()
        expect(form).to_be_hidden()
        label = user_id if not org_id else f"{user_id} in {org_slug or org_id}"
        expect(self.by_id("identity")).to_contain_text(label)

    def expect_identity(self, text: str) -> None:
        from playwright.sync_api import expect

        expect(self.by_id("identity")).to_contain_text(text)

    # --- the thread list -----------------------------------------------------------------------------------

    def thread_titles(self) -> list[str]:
        return [title.strip() for title in self.by_id("thread-title").all_inner_texts()]

    def open_thread(self, title: str) -> None:
        self.by_id("thread-item-trigger").filter(has_text=title).first.click()

    # --- the thread ----------------------------------------------------------------------------------------

    def messages(self) -> list[tuple[str, str]]:
        """(role, text) of every message in the open thread, in order."""
        rows = self.page.eval_on_selector_all(
            "[data-testid=message]",
            """(nodes) => nodes.map((node) => [
                node.dataset.role,
                Array.from(node.querySelectorAll("[data-testid=message-text]")).map((t) => t.textContent).join(""),
            ])""",
        )
        return [(role, text) for role, text in rows]

    def send(self, text: str) -> None:
        """Type into the composer and press Enter (Shift+Enter for each line break)."""
        composer = self.by_id("composer-input")
        composer.click()
        for index, line in enumerate(text.split("\n")):
            if index:
                self.page.keyboard.press("Shift+Enter")
            self.page.keyboard.type(line)
        self.page.keyboard.press("Enter")

    def wait_for_partial_answer(self, full: str, *, answers: int = 1, timeout: float = TIMEOUT_MS) -> str:
        """Wait until assistant message number `answers` shows some, but not all, of `full`; return that text."""
        handle = self.page.wait_for_function(
            """([full, answers]) => {
                const texts = document.querySelectorAll(
                    "[data-testid=message][data-role=assistant] [data-testid=message-text]");
                if (texts.length !== answers) return false;
                const shown = texts[answers - 1].textContent;
                return shown.length > 0 && shown.length < full.length ? shown : false;
            }""",
            arg=[full, answers],
            polling=30,
            timeout=timeout,
        )
        return handle.json_value()

    def expect_idle(self) -> None:
        from playwright.sync_api import expect

        expect(self.by_id("stop-button")).to_have_count(0)
        expect(self.by_id("send-button")).to_be_visible()

    def active_test_id(self) -> str | None:
        return self.page.evaluate("() => document.activeElement?.getAttribute('data-testid') ?? null")

    def wait_api_quiet(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until no /api request has been in flight for `quiet` seconds (history appends, titles...)."""
        deadline = time.monotonic() + timeout
        calm_since = None
        while time.monotonic() < deadline:
            if self.watch._in_flight:
                calm_since = None
            elif calm_since is None:
                calm_since = time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                return
            self.page.wait_for_timeout(50)  # lets Playwright deliver the page's events meanwhile
        raise AssertionError(f"API requests still in flight after {timeout} s: {list(self.watch._in_flight.values())}")
