"""A fast fake OpenAI-compatible model on 127.0.0.1, for benchmarks and manual runs.

    python bench/fake_model.py --tokens 50 --delay 0.01 [--port 8100]

Prints the base URL (for OPENAI_BASE_URL) on its first line, then serves until interrupted, terminated, or
until its standard input closes (so that it never outlives a benchmark that started it with a pipe).

It streams Chat Completions exactly as the test suite's fake (tests/fakes/openai_server.py) does — a role
chunk, one chunk per token, a finish chunk, the usage chunk when asked, [DONE] — but on asyncio (aiohttp's
server, with the events encoded once), so that a benchmark of 200 concurrent streams measures the server
under test rather than a thread per stream in the fake.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from aiohttp import web


def events(tokens: int, model: str) -> tuple[bytes, list[bytes], bytes, bytes]:
    """(role chunk, token chunks, finish chunk, usage chunk), each a whole SSE event."""

    def chunk(delta: dict, finish: str | None = None, **extra) -> bytes:
        payload = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": int(time.time()),
                   "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                   **extra}
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    usage = {"prompt_tokens": 20, "completion_tokens": tokens, "total_tokens": 20 + tokens}
    usage_event = json.dumps({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": int(time.time()),
                              "model": model, "choices": [], "usage": usage}).encode()
    return (
        chunk({"role": "assistant", "content": ""}),
        [chunk({"content": f" tok{i}"}) for i in range(tokens)],
        chunk({}, "stop"),
        b"data: " + usage_event + b"\n\n",
    )


def application(tokens: int, delay: float) -> web.Application:
    role, token_events, finish, usage = events(tokens, "gpt-4o-mini")

    async def completions(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(role)
        for event in token_events:
            if delay:
                await asyncio.sleep(delay)
            await response.write(event)
        await response.write(finish)
        if (body.get("stream_options") or {}).get("include_usage"):
            await response.write(usage)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    return app


async def serve(tokens: int, delay: float, port: int) -> None:
    runner = web.AppRunner(application(tokens, delay), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=2048)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"http://127.0.0.1:{bound}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if not sys.stdin.isatty():
        loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(1024) else None)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=50, help="tokens per answer")
    parser.add_argument("--delay", type=float, default=0.01, help="seconds between tokens")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.tokens, args.delay, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
