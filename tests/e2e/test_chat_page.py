"""The chat page in headless Chromium against a live server of the project and the fake model.

Screenshots of the main states go to test-artifacts/e2e/ (named <server>-<state>.png). Every test also
fails on a console error, an uncaught page error or a Content-Security-Policy violation (see `ui` in conftest).
"""

from __future__ import annotations

import re
import time

import pytest

from tests.fakes.openai_server import Reply

from .browser import ChatUI

pytestmark = pytest.mark.e2e

BOTH_SERVERS = pytest.mark.parametrize("site_kind", ["wsgi", "asgi"])

QUESTION = "What is the capital of Portugal?"
ANSWER_TOKENS = ["Lisbon", " is", " the", " capital", " of", " Portugal", ",", " by the sea."]
ANSWER = "".join(ANSWER_TOKENS)
# The fake answers the title request with the same script; the title is its first words.
TITLE = re.compile(r"^Lisbon is the capital")

ORG_QUESTION = "When does Acme ship?"
ORG_TOKENS = ["Acme", " ships", " rockets", " on", " Tuesdays", "."]
ORG_ANSWER = "".join(ORG_TOKENS)
ORG_TITLE = re.compile(r"^Acme ships rockets")

LONG_TOKENS = [f" word{i}" for i in range(300)]  # 15 s at 50 ms a token: only a stop ends it in time
LONG_ANSWER = "".join(LONG_TOKENS)


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def last_answer(ui: ChatUI):
    return ui.page.locator("[data-testid=message][data-role=assistant] [data-testid=message-text]").last


def no_horizontal_scroll(ui: ChatUI) -> bool:
    return ui.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@BOTH_SERVERS
def test_sign_in_chat_reload_and_switch_organizations(ui: ChatUI, fake_openai):
    fake_openai.script(Reply(tokens=ANSWER_TOKENS, delay=0.15))

    # Signed out: the sign-in prompt, and not a single API request.
    ui.open()
    expect(ui.by_id("sign-in-prompt")).to_be_visible()
    expect(ui.by_id("session-notice")).to_have_count(0)
    expect(ui.by_id("thread-list")).to_have_count(0)
    ui.shot("01-signed-out")
    assert ui.watch.api_requests == []

    # Development sign-in, personal workspace: an empty list, the composer focused.
    ui.sign_in("user_e2e")
    expect(ui.by_id("thread-list-empty")).to_be_visible()
    assert ui.active_test_id() == "composer-input"

    # Enter sends; the answer streams in: part of it is on screen while the model is still writing.
    ui.send(QUESTION)
    partial = ui.wait_for_partial_answer(ANSWER)
    model_done_when_partial = fake_openai.completed
    ui.shot("02-streaming")
    assert ANSWER.startswith(partial) and len(partial) < len(ANSWER), partial
    assert model_done_when_partial == 0, "the page showed nothing before the model had finished"
    expect(last_answer(ui)).to_have_text(ANSWER)
    ui.expect_idle()
    assert ui.messages() == [("user", QUESTION), ("assistant", ANSWER)]
    expect(ui.by_id("thread-title")).to_have_text([TITLE])
    ui.wait_api_quiet()
    ui.shot("03-answered")
    ui.watch.assert_clean()

    # Reload: the thread is listed, and opening it restores both messages from the server.
    ui.reload()
    expect(ui.by_id("thread-title")).to_have_text([TITLE])
    expect(ui.by_id("message")).to_have_count(0)
    ui.open_thread("Lisbon")
    expect(ui.by_id("message")).to_have_count(2)
    assert ui.messages() == [("user", QUESTION), ("assistant", ANSWER)]
    ui.shot("04-restored-after-reload")

    # Another organization: another thread list (empty), and a thread of its own.
    ui.switch_workspace("user_e2e", "org_acme", "acme")
    expect(ui.by_id("thread-list-empty")).to_be_visible()
    expect(ui.by_id("composer-input")).to_be_focused()  # ready to type in the new workspace
    expect(ui.by_id("thread-item")).to_have_count(0)
    expect(ui.by_id("message")).to_have_count(0)  # the personal thread was closed, not carried over
    ui.shot("05-org-empty")
    fake_openai.script(Reply(tokens=ORG_TOKENS, delay=0.05))
    ui.send(ORG_QUESTION)
    expect(last_answer(ui)).to_have_text(ORG_ANSWER)
    ui.expect_idle()
    expect(ui.by_id("thread-title")).to_have_text([ORG_TITLE])
    ui.wait_api_quiet()
    ui.shot("06-org-thread")

    # Back in the personal workspace: the first list again, without the organization's thread.
    ui.switch_workspace("user_e2e", None)
    expect(ui.by_id("thread-title")).to_have_text([TITLE])
    expect(ui.by_id("message")).to_have_count(0)
    ui.open_thread("Lisbon")
    expect(ui.by_id("message")).to_have_count(2)
    assert ui.messages() == [("user", QUESTION), ("assistant", ANSWER)]
    ui.shot("07-personal-again")

    # And the organization still has only its own.
    ui.switch_workspace("user_e2e", "org_acme", "acme")
    expect(ui.by_id("thread-title")).to_have_text([ORG_TITLE])
    ui.watch.assert_clean()


@BOTH_SERVERS
def test_escape_and_the_stop_button_end_a_long_answer(ui: ChatUI, fake_openai):
    fake_openai.script(Reply(tokens=LONG_TOKENS, delay=0.05))
    ui.open()
    ui.sign_in("user_stop")

    # Escape in the composer stops the answer; the model is disconnected; what arrived stays.
    ui.send("Tell me a long story")
    ui.wait_for_partial_answer(LONG_ANSWER, answers=1)
    expect(ui.by_id("stop-button")).to_be_visible()
    assert ui.active_test_id() == "composer-input"
    ui.page.keyboard.press("Escape")
    ui.expect_idle()
    assert fake_openai.wait_for(lambda fake: fake.disconnects == 1, timeout=5), "the model kept generating"
    shown = last_answer(ui).text_content()
    ui.page.wait_for_timeout(300)
    assert last_answer(ui).text_content() == shown, "the answer kept growing after Escape"
    assert shown and LONG_ANSWER.startswith(shown) and len(shown) < len(LONG_ANSWER)
    assert ui.active_test_id() == "composer-input"
    ui.shot("stopped-by-escape")

    # The Stop button does the same, and gives the focus back to the composer.
    ui.send("Another one, please")
    ui.wait_for_partial_answer(LONG_ANSWER, answers=2)
    ui.by_id("stop-button").click()
    ui.expect_idle()
    assert fake_openai.wait_for(lambda fake: fake.disconnects == 2, timeout=5), "the model kept generating"
    ui.page.wait_for_function("() => document.activeElement?.dataset.testid === 'composer-input'")
    assert fake_openai.completed == 0
    ui.wait_api_quiet()
    ui.shot("stopped-by-button")

    # Both partial answers were kept: a reload restores all four messages.
    ui.reload()
    ui.by_id("thread-item-trigger").first.click()
    expect(ui.by_id("message")).to_have_count(4)
    messages = ui.messages()
    assert [role for role, _ in messages] == ["user", "assistant", "user", "assistant"]
    for role, text in messages[1::2]:
        assert text and LONG_ANSWER.startswith(text) and len(text) < len(LONG_ANSWER), text
    ui.watch.assert_clean()


def test_keyboard_only_sign_in_and_send(ui: ChatUI, fake_openai):
    fake_openai.script(Reply(tokens=["Both", " lines", " arrived", "."], delay=0.05))
    ui.open()
    ui.sign_in("user_keys", keyboard=True)  # Tab to the field, type, Enter
    ui.page.wait_for_function("() => document.activeElement?.dataset.testid === 'composer-input'")

    keyboard = ui.page.keyboard
    keyboard.type("first line")
    keyboard.press("Shift+Enter")  # a line break, not a send
    keyboard.type("second line")
    expect(ui.by_id("message")).to_have_count(0)
    keyboard.press("Enter")
    expect(last_answer(ui)).to_have_text("Both lines arrived.")
    ui.expect_idle()
    assert ui.messages()[0] == ("user", "first line\nsecond line")
    assert ui.active_test_id() == "composer-input"
    expect(ui.by_id("composer-input")).to_have_value("")
    ui.shot("keyboard-send")


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 740}], ids=["375px"])
def test_phone_width(ui: ChatUI, fake_openai):
    fake_openai.script(Reply(tokens=["Small", " screens", " work", " too", "."], delay=0.02))
    ui.open()
    expect(ui.by_id("sign-in-prompt")).to_be_visible()
    assert no_horizontal_scroll(ui)
    ui.shot("phone-signed-out")

    ui.sign_in("user_phone")
    # The thread list hides behind a toggle; the composer sits at the bottom of the screen.
    expect(ui.by_id("sidebar-toggle")).to_be_visible()
    expect(ui.by_id("thread-list")).to_be_hidden()
    ui.send("Does this fit on a phone?")
    expect(last_answer(ui)).to_have_text("Small screens work too.")
    ui.expect_idle()
    ui.wait_api_quiet()
    composer = ui.by_id("composer-input").bounding_box()
    assert composer is not None and composer["y"] + composer["height"] > 740 * 0.8, composer
    assert no_horizontal_scroll(ui)
    ui.shot("phone-chat")

    toggle = ui.by_id("sidebar-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(ui.by_id("thread-item")).to_have_count(1)
    expect(ui.by_id("thread-list")).to_be_visible()
    assert no_horizontal_scroll(ui)
    ui.shot("phone-thread-list")
    ui.page.keyboard.press("Escape")
    expect(ui.by_id("thread-list")).to_be_hidden()

    # Picking a thread closes the overlay and shows it.
    toggle.click()
    ui.by_id("new-thread").click()
    expect(ui.by_id("thread-list")).to_be_hidden()
    expect(ui.by_id("message")).to_have_count(0)
    toggle.click()
    ui.by_id("thread-item-trigger").first.click()
    expect(ui.by_id("thread-list")).to_be_hidden()
    expect(ui.by_id("message")).to_have_count(2)
    ui.watch.assert_clean()


def expired_token(site, user_id: str) -> str:
    """A development session token for `user_id` that expired two minutes ago, signed by the server's key."""
    from accounts.devsignin import load_or_create_key, mint_session_token

    return mint_session_token(load_or_create_key(site.key_path), user_id=user_id, authorized_party=site.url,
                              lifetime=-120)


def assert_refused_once(ui: ChatUI, since: float) -> None:
    """After the page went signed out, it stays quiet: the one refused request (two at most), nothing more."""
    ui.page.wait_for_timeout(1000)
    refused = ui.watch.api_since(since)
    assert 1 <= len(refused) <= 2 and all(r.status == 401 for r in refused), refused


def test_an_ended_session_leads_back_to_sign_in_without_a_request_storm(ui: ChatUI, site, fake_openai):
    ui.watch.allow_console_error(r"status of 401")  # the browser logs each refused request itself
    ui.watch.allow_console_error(r"status of 404", url=r"/favicon\.ico$")  # the server-rendered sign-in page
    fake_openai.script(Reply(tokens=["Noted", "."]))
    context = ui.page.context

    def sign_in_again() -> None:
        """The prompt has the focus, on the user id of the session that ended: Enter signs in again."""
        user_field = ui.by_id("sign-in-prompt").get_by_test_id("dev-user-id")
        expect(user_field).to_be_focused()
        expect(user_field).to_have_value("user_expiry")
        ui.page.keyboard.press("Enter")
        ui.expect_identity("user_expiry")

    ui.open()
    ui.sign_in("user_expiry")
    ui.send("Remember this")
    expect(last_answer(ui)).to_have_text("Noted.")
    ui.expect_idle()
    ui.wait_api_quiet()
    model_requests = fake_openai.request_count

    # The session expires while a thread is open: the next message is refused, once, and the page says so.
    context.add_cookies([{"name": "__session", "value": expired_token(site, "user_expiry"), "url": site.url}])
    since = time.monotonic()
    ui.send("Are you still there?")
    expect(ui.by_id("session-notice")).to_have_text("Your session has expired.")
    expect(ui.by_id("thread-list")).to_have_count(0)
    assert_refused_once(ui, since)
    ui.shot("session-expired")
    expect(ui.by_id("identity")).to_have_text("Signed out")

    # Signing in again from the prompt brings the chat back; then the first message of a new thread meets an
    # expired session (the thread is created before the chat request).
    sign_in_again()
    expect(ui.by_id("thread-item")).to_have_count(1)
    context.add_cookies([{"name": "__session", "value": expired_token(site, "user_expiry"), "url": site.url}])
    since = time.monotonic()
    ui.send("A new topic")
    expect(ui.by_id("session-notice")).to_have_text("Your session has expired.")
    assert_refused_once(ui, since)

    # The prompt's link to the server's sign-in page leads back to the chat, signed in.
    ui.by_id("sign-in-link").click()
    ui.page.wait_for_url("**/dev/sign-in*")
    ui.page.locator("input[name=user_id]").fill("user_expiry")
    ui.page.get_by_role("button", name="Sign in").click()
    ui.page.wait_for_url(site.url + "/")
    ui.wait_until_mounted()
    ui.expect_identity("user_expiry")
    expect(ui.by_id("thread-item")).to_have_count(1)
    ui.shot("signed-in-again")

    # The cookie disappears (signed out in another tab): the same, from a history load this time.
    context.clear_cookies(name="__session")
    since = time.monotonic()
    ui.by_id("thread-item-trigger").first.click()
    expect(ui.by_id("session-notice")).to_have_text("Your session has expired.")
    assert_refused_once(ui, since)

    # A reload without a session renders the plain prompt and asks the API nothing.
    since = time.monotonic()
    ui.reload()
    expect(ui.by_id("sign-in-prompt")).to_be_visible()
    expect(ui.by_id("session-notice")).to_have_count(0)
    ui.page.wait_for_timeout(500)
    assert ui.watch.api_since(since) == []
    assert fake_openai.request_count == model_requests, "a signed-out request reached the model"
    ui.watch.assert_clean()


def test_strict_csp_is_served_and_violations_are_caught(ui: ChatUI, site):
    response = ui.page.goto(site.url + "/")
    policy = {part.split()[0]: part.split()[1:] for part in response.headers["content-security-policy"].split("; ")}
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    ui.wait_until_mounted()
    ui.page.wait_for_timeout(300)
    ui.watch.assert_clean()

    # The watchdog itself works: an inline style (what a careless component would inject) is reported.
    ui.page.evaluate("() => { const s = document.createElement('style'); s.textContent = 'p{}'; document.head.append(s); }")
    ui.page.wait_for_timeout(200)
    assert any(v["directive"].startswith("style-src") for v in ui.watch.csp_violations), ui.watch.report()
    assert ui.watch.problems()
    ui.watch.csp_violations.clear()
    ui.watch.console.clear()
