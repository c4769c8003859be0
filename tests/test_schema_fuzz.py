"""Bad input at scale: schemathesis against GET /api/schema, every operation, signed in and signed out.

Each operation of the OpenAPI document the site serves (including POST /api/chat and POST /api/webhooks/clerk,
documented by chatsite.schema.postprocess_schema) becomes two tests: one with a valid Clerk session token
(`Authorization: Bearer`) and one without. Schemathesis runs its examples, coverage and fuzzing phases, positive
and negative data, against the WSGI application in this process (the real middleware stack, the test database),
and every response goes through its default checks: no 5xx (`not_a_server_error`), documented status codes,
content types, headers and bodies (`status_code_conformance`, `content_type_conformance`,
`response_headers_conformance`, `response_schema_conformance`), schema-violating requests rejected
(`negative_data_rejection`), valid ones accepted (`positive_data_acceptance`), 405 for undocumented methods
(`unsupported_method`), 401 without credentials (`ignored_auth`), and the rest of the default set.

Path parameters hit real rows: the signed-in identity owns two seeded threads with messages and another tenant
owns a third, and the generated `id` (and `message_id`) are drawn from those ids as well as at random; listing
draws real cursors as well as random ones. The other tenant's thread must be a 404 like a missing one.

Exemptions from `positive_data_acceptance` (with why): the chat body has rules JSON Schema cannot say (the last
message is the user's, the total text length); webhook signatures cannot be generated (every delivery here is
unsigned or forged, and must be a 400, never a 5xx); a random listing cursor is refused by design; and a body
refused for a rule the API description states in words (chatsite.parsers: a NUL character or an unpaired
surrogate in a string, nesting deeper than MAX_JSON_DEPTH) is not a failure.

The fake OpenAI server is the model provider, so valid chat requests really stream (and reach 429 past
CHAT_REQUESTS_PER_MINUTE); a webhook secret is configured, so forged deliveries meet the signature check.
Requests go to Django's WSGI handler (the whole middleware stack) in the test's thread and transaction, so the
module runs on SQLite and PostgreSQL alike (`DATABASE_URL`).

Budget: SCHEMATHESIS_MAX_EXAMPLES (default 25) examples per operation and test in the fuzzing phase, plus the
coverage phase's fixed set of cases (independent of the budget); derandomized, so every run sends the same
requests. About 30 s on either database at the default. Raise it for a deeper local run:

    SCHEMATHESIS_MAX_EXAMPLES=500 bin/test tests/test_schema_fuzz.py
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from threads.models import Message, Thread
from threads.pagination import KeysetPagination

from .fakes.openai_server import Reply

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))

ME = "user_fuzz"
MY_THREADS = ("thr_fuzz_mine_1", "thr_fuzz_mine_2")
OTHER_TENANTS_THREAD = "thr_fuzz_theirs"
THREAD_IDS = (*MY_THREADS, OTHER_TENANTS_THREAD)
MESSAGE_IDS = ("m1", "m2")
SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)
REAL_CURSOR = KeysetPagination.encode_cursor(SEEDED_AT, MY_THREADS[1])
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"schema-fuzz-webhook-secret-0123").decode()

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # The database, cache and fake model server are the test's; they are not reset between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

schema = schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application())


@schema.hook("before_generate_path_parameters")
def real_ids_too(context, strategy):
    """Half the generated path parameters name a seeded thread (and message) instead of a random one."""

    def with_real_ids(parameters):
        if not isinstance(parameters, dict) or "id" not in parameters:
            return st.just(parameters)
        real = {"id": st.sampled_from(THREAD_IDS)}
        if "message_id" in parameters:
            real["message_id"] = st.sampled_from(MESSAGE_IDS)
        return st.fixed_dictionaries(real).map(lambda ids: {**parameters, **ids})

    return st.one_of(strategy, strategy.flatmap(with_real_ids))


@schema.hook("before_generate_query")
def real_cursors_too(context, strategy):
    """Listing sometimes continues from a cursor the server could have issued."""
    if context.operation.path != "/api/threads":
        return strategy
    return st.one_of(
        strategy,
        strategy.map(lambda query: {**query, "cursor": REAL_CURSOR} if isinstance(query, dict) else query),
    )


@schema.hook("filter_failure")
def body_rules_the_schema_cannot_say(context, failure, case, response):
    """A valid-looking body refused for what the API description says in words (chatsite.parsers): a NUL
    character or an unpaired surrogate in a string, or nesting deeper than MAX_JSON_DEPTH."""
    if isinstance(failure, RejectedPositiveData) and response.status_code == 400:
        detail = response.json().get("detail", "")
        return not any(reason in detail for reason in ("NUL character", "unpaired surrogate", "nested deeper"))
    return True


@pytest.fixture
def seeded(db):
    """Two threads with messages for the signed-in identity, and one of another tenant."""
    for thread_id in MY_THREADS:
        thread = Thread.all_tenants.create(id=thread_id, owner_id=ME, title="Mine", updated_at=SEEDED_AT)
        for message_id in MESSAGE_IDS:
            Message.all_tenants.create(
                thread=thread, message_id=message_id, role="user",
                content={"role": "user", "parts": [{"type": "text", "text": "hi"}]},
            )
    theirs = Thread.all_tenants.create(id=OTHER_TENANTS_THREAD, owner_id="user_someone_else", title="Theirs")
    Message.all_tenants.create(thread=theirs, message_id="m1", role="user", content={"role": "user", "parts": []})


@pytest.fixture
def site(settings, model, seeded):
    """The site as deployed: a model provider (the fake one), a webhook secret, the rate limits on."""
    settings.CLERK_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.CHAT_REQUESTS_PER_MINUTE = 100  # enough to stream many answers, few enough to reach 429 too
    # Requests go straight to the WSGI handler, in this thread: keep Django from closing the test's connection
    # (and its transaction) at the end of each one, as the test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def prepare(case) -> list:
    """Point coverage-phase cases at real rows; return the checks that do not apply to this case."""
    meta = case.meta
    if (
        meta is not None
        and meta.phase.name.value == "coverage"
        and case.path_parameters
        and "id" in case.path_parameters
        and getattr(meta.phase.data, "parameter_location", None) != ParameterLocation.PATH
    ):
        case.path_parameters = {**case.path_parameters, "id": MY_THREADS[0]}
    if case.path in ("/api/chat", "/api/webhooks/clerk"):
        return [positive_data_acceptance]
    cursor = (case.query or {}).get("cursor")
    if case.path == "/api/threads" and cursor and cursor != REAL_CURSOR:
        return [positive_data_acceptance]
    return []


def other_tenants_thread_is_not_found(ctx, response, case):
    """Signed in, anything naming another tenant's thread is a 404 exactly like a missing thread's."""
    if (case.path_parameters or {}).get("id") == OTHER_TENANTS_THREAD and response.status_code != 405:
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."}), (
            f"another tenant's thread answered {response.status_code}"
        )


@schema.parametrize()
@FUZZ_SETTINGS
def test_signed_in(case, site, tokens):
    excluded = prepare(case)
    token = tokens.token(user_id=ME, lifetime=3600)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=excluded,
        additional_checks=[other_tenants_thread_is_not_found],
    )
    theirs = Thread.all_tenants.get(pk=OTHER_TENANTS_THREAD)
    their_messages = Message.all_tenants.filter(thread_id=OTHER_TENANTS_THREAD).count()
    assert (theirs.owner_id, theirs.title, theirs.status, their_messages) == (
        "user_someone_else", "Theirs", "regular", 1
    ), "a request by user_fuzz changed another tenant's thread"


@schema.parametrize()
@FUZZ_SETTINGS
def test_signed_out(case, site):
    excluded = prepare(case)
    case.call_and_validate(excluded_checks=excluded)


# --- What the fuzzing found, pinned as plain tests (fast, and on both databases) --------------------------------

THREAD_ROUTES_WITH_A_NUL_ID = [
    ("get", "/api/threads/thr%00x", None),
    ("patch", "/api/threads/thr%00x", {"title": "x"}),
    ("delete", "/api/threads/thr%00x", None),
    ("get", "/api/threads/thr%00x/messages", None),
    ("post", "/api/threads/thr%00x/messages", {"id": "m1", "content": {"role": "user", "parts": []}}),
    ("patch", "/api/threads/thr%00x/messages/m1", {"content": {"role": "user", "parts": []}}),
    ("post", "/api/threads/thr%00x/title", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), THREAD_ROUTES_WITH_A_NUL_ID)
def test_a_thread_id_with_a_nul_character_is_not_found(api, method, path, body):
    # PostgreSQL refused to compare it: a 500 before.
    response = api(ME).request(method, path, body)
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        '{"custom": {"key": "a\\u0000b"}}',  # PostgreSQL's jsonb cannot store NUL: a 500 before
        '{"custom": {"a\\u0000": 1}}',
        '{"title": "t", "custom": {"deep": [[{"x": "\\u0000"}]]}}',
        '{"custom": {"a": "\\ud800"}}',  # an unpaired surrogate: jsonb refused it
        '{"status": "\\udc00"}',  # echoed in "is not a valid choice": the JSON renderer failed on both databases
        '{"custom": {"a": NaN}}',
        '{"custom": {"a": 1e400}}',
        '{"custom": ' + "[" * 900 + "]" * 900 + "}",  # parsed, then too deep to store or render: a 500 before
        "[" * 100_000 + "]" * 100_000,  # too deep for the parser: a RecursionError before
    ],
)
def test_bodies_no_database_could_store_are_400(api, raw):
    client = api(ME)
    thread = client.new_thread()
    for method, path in (("post", "/api/threads"), ("patch", f"/api/threads/{thread['id']}")):
        response = client.request(method, path, raw=raw)
        assert response.status_code == 400, (method, response.content[:200])
        assert "detail" in response.json() or "status" in response.json()


@pytest.mark.django_db
def test_message_bodies_and_ids_with_nul_characters_are_400(api):
    client = api(ME)
    thread_id = client.new_thread()["id"]
    content = {"role": "user", "parts": [{"type": "text", "text": "a\u0000b"}]}
    assert client.post(f"/api/threads/{thread_id}/messages", {"id": "m1", "content": content}).status_code == 400
    response = client.post(f"/api/threads/{thread_id}/messages", {"id": "m\u00001", "content": {"role": "user"}})
    assert response.status_code == 400
    response = client.patch(f"/api/threads/{thread_id}/messages/m%001", {"content": {"role": "user", "parts": []}})
    assert response.json() == {"message_id": ["Null characters are not allowed."]}
    assert not Message.all_tenants.exists()


@pytest.mark.django_db
def test_a_cursor_naming_a_nul_id_is_400(api):
    cursor = KeysetPagination.encode_cursor(SEEDED_AT, "thr\x00")
    response = api(ME).get(f"/api/threads?cursor={cursor}")
    assert (response.status_code, response.json()) == (400, {"cursor": ["Invalid cursor."]})


@pytest.mark.django_db
def test_chat_refuses_what_it_could_not_store_before_the_model_sees_it(api, model):
    client = api(ME)
    for raw in (
        '{"id": "c1", "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "\\u0000"}]}]}',
        '{"id": "c\\u0000", "messages": [{"id": "u1", "role": "user", "parts": []}]}',
        '{"id": "c1", "messages": [{"id": "u1", "role": "user", "parts": []}], "callSettings": {"temperature": NaN}}',
    ):
        response = client.post("/api/chat", raw=raw)
        assert response.status_code == 400, response.content
        assert "JSON parse error" in response.json()["detail"]
    assert model.request_count == 0
    assert not Thread.all_tenants.exists()


@pytest.mark.django_db
def test_title_body_must_be_an_object_and_a_nul_from_the_model_is_dropped(api, model):
    client = api(ME)
    thread_id = client.new_thread()["id"]
    assert client.post(f"/api/threads/{thread_id}/title", ["not", "an", "object"]).status_code == 400
    model.script(Reply(text="Octo\x00pus"))  # PostgreSQL cannot store the NUL: a 500 before
    messages = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Tell me about octopuses"}]}]
    assert client.post(f"/api/threads/{thread_id}/title", {"messages": messages}).json() == {"title": "Octopus"}
    assert Thread.all_tenants.get(pk=thread_id).title == "Octopus"


def test_the_schema_documents_every_route_and_its_errors(client):
    document = client.get("/api/schema", HTTP_ACCEPT="application/json").json()
    paths = document["paths"]
    chat = paths["/api/chat"]["post"]
    assert "text/event-stream" in chat["responses"]["200"]["content"]
    assert {"400", "401", "413", "429", "503"} <= set(chat["responses"])
    assert {"400", "413", "503"} <= set(paths["/api/webhooks/clerk"]["post"]["responses"])
    assert paths["/api/me"]["delete"]["requestBody"]["required"] is True
    # Bearer token or session cookie: alternatives, not both at once.
    assert paths["/api/threads"]["get"]["security"] == [{"ClerkBearer": []}, {"ClerkSessionCookie": []}]
    for path, item in paths.items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert "application/json" in response["content"], (method, path, status)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)
