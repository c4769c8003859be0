"""The fake OpenAI server, checked with the real ``openai`` client (sync and async).

How reasoning deltas surface in openai's objects: ``ChoiceDelta`` declares no reasoning field, but the SDK's
models allow extra fields, so ``reasoning_content`` / ``reasoning`` land in ``delta.model_extra`` (a dict) and
are also readable as attributes. The attribute exists only on chunks that carry it, so read it with
``getattr(delta, "reasoning_content", None)`` or ``(delta.model_extra or {}).get("reasoning_content")``;
plain ``delta.reasoning_content`` raises AttributeError on content chunks. Non-streamed answers behave the
same way on ``choices[0].message``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import openai
import pytest

from tests.fakes.openai_server import FakeOpenAI, Reply


MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def openai_client(fake_openai: FakeOpenAI) -> Iterator[openai.OpenAI]:
    """A sync client without retries, so error statuses surface on the first request."""
    with openai.OpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=0, timeout=5) as sync_client:
        yield sync_client


def _async_client(fake: FakeOpenAI) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0, timeout=5)


def test_stream_sends_role_then_tokens_in_order_then_finish_reason(openai_client: openai.OpenAI) -> None:
    chunks = list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))

    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].delta.content for c in chunks[1:-1]] == ["Hello", ",", " world", "!"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].model == "gpt-4o-mini"


def test_stream_delivers_each_token_as_soon_as_it_is_produced(
    openai_client: openai.OpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(tokens=["a", "b", "c", "d"], delay=0.1))
    arrivals: dict[str, float] = {}
    for chunk in openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals[chunk.choices[0].delta.content] = time.monotonic()

    # Buffering anywhere would make the tokens arrive together, not ~0.3 s apart.
    assert list(arrivals) == ["a", "b", "c", "d"]
    assert arrivals["d"] - arrivals["a"] >= 0.25


def test_usage_chunk_comes_last_only_when_include_usage_is_requested(
    openai_client: openai.OpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(usage=(30, 7)))
    with_usage = list(
        openai_client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    without_usage = list(openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True))

    assert with_usage[-1].choices == []
    assert with_usage[-1].usage is not None
    assert (with_usage[-1].usage.prompt_tokens, with_usage[-1].usage.completion_tokens) == (30, 7)
    assert with_usage[-1].usage.total_tokens == 37
    assert all(c.usage is None for c in without_usage)


@pytest.mark.parametrize("field_name", ["reasoning_content", "reasoning"])
def test_reasoning_deltas_come_before_content_as_extra_delta_fields(
    openai_client: openai.OpenAI, fake_openai: FakeOpenAI, field_name: str
) -> None:
    fake_openai.script(Reply(reasoning=["Let me", " think"], reasoning_field=field_name, tokens=["Yes"]))
    stream = openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    deltas = [chunk.choices[0].delta for chunk in stream]

    reasoning = [(d.model_extra or {}).get(field_name) for d in deltas]
    assert reasoning == [None, "Let me", " think", None, None]
    assert getattr(deltas[1], field_name) == "Let me"
    assert [d.content for d in deltas] == ["", None, None, "Yes", None]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (401, openai.AuthenticationError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_error_status_raises_the_matching_openai_exception(
    openai_client: openai.OpenAI, fake_openai: FakeOpenAI, status: int, error_class: type[openai.APIStatusError]
) -> None:
    fake_openai.script(Reply(status=status))
    with pytest.raises(error_class) as raised:
        openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)

    assert raised.value.status_code == status
    assert isinstance(raised.value.body, dict) and raised.value.body["message"]


def test_cut_after_breaks_the_stream_after_that_many_tokens(
    openai_client: openai.OpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(tokens=["one", "two", "three"], cut_after=2))
    received: list[str | None] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
            received.append(chunk.choices[0].delta.content)

    assert received == ["", "one", "two"]
    assert fake_openai.completed == 0


def test_requests_are_recorded_and_counted(openai_client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    openai_client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True).close()
    openai_client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    openai_client.models.list()

    assert fake_openai.request_count == 2
    first = fake_openai.requests[0]
    assert (first.method, first.path) == ("POST", "/v1/chat/completions")
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.json["messages"] == MESSAGES
    assert first.json["stream"] is True
    assert fake_openai.requests[-1].path == "/v1/models"


def test_queued_replies_are_used_in_order_before_the_script(
    openai_client: openai.OpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(text="scripted"))
    fake_openai.queue(Reply(text="first"), Reply(text="second"))

    completions = [openai_client.chat.completions.create(model="m", messages=MESSAGES) for _ in range(3)]
    answers = [completion.choices[0].message.content for completion in completions]

    assert answers == ["first", "second", "scripted"]


def test_closing_a_stream_early_counts_one_disconnect(openai_client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(tokens=["x"] * 100, delay=0.05))
    stream = openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    next(iter(stream))
    stream.close()

    assert fake_openai.wait_for(lambda fake: fake.disconnects == 1, timeout=1.0)
    assert fake_openai.completed == 0


def test_a_client_timing_out_on_a_hang_counts_one_disconnect(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(hang=True))
    impatient = openai.OpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=0, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        for _ in impatient.chat.completions.create(model="m", messages=MESSAGES, stream=True):
            pass
    impatient.close()

    assert fake_openai.wait_for(lambda fake: fake.disconnects == 1, timeout=1.0)


def test_headers_delay_holds_back_the_response_headers(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(headers_delay=2.0))
    impatient = openai.OpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=0, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        impatient.chat.completions.create(model="m", messages=MESSAGES)
    impatient.close()

    assert fake_openai.wait_for(lambda fake: fake.disconnects == 1, timeout=1.0)


def test_async_client_streams_tokens_and_usage(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(tokens=["A", "sync"], model="served-model"))

    async def collect() -> list[openai.types.chat.ChatCompletionChunk]:
        async with _async_client(fake_openai) as async_client:
            stream = await async_client.chat.completions.create(
                model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
            )
            return [chunk async for chunk in stream]

    chunks = asyncio.run(collect())

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Async"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 16
    assert chunks[0].model == "served-model"
    assert fake_openai.wait_for(lambda fake: fake.completed == 1, timeout=5)


def test_async_client_closing_a_stream_early_counts_one_disconnect(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(tokens=["x"] * 100, delay=0.05))

    async def read_one_then_close() -> None:
        async with _async_client(fake_openai) as async_client:
            stream = await async_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            await stream.__anext__()
            await stream.close()

    asyncio.run(read_one_then_close())

    assert fake_openai.wait_for(lambda fake: fake.disconnects == 1, timeout=1.0)


def test_non_streaming_request_gets_a_chat_completion(openai_client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(text="A short title", finish_reason="length"))
    completion = openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "A short title"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.total_tokens == 16


def test_reset_forgets_requests_counters_and_queue(openai_client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(text="queued"))
    fake_openai.script(Reply(text="scripted"))
    list(openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    fake_openai.reset()

    assert (fake_openai.request_count, fake_openai.completed, fake_openai.requests) == (0, 0, [])
    completion = openai_client.chat.completions.create(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "Hello, world!"


def test_models_endpoint_lists_models(openai_client: openai.OpenAI) -> None:
    assert "gpt-4o-mini" in [model.id for model in openai_client.models.list()]
