"""Serve the test suite's fake OpenAI-compatible model on 127.0.0.1 for benchmarks and manual runs.

    python bench/fake_model.py --tokens 50 --delay 0.01 [--port 8100]

Prints the base URL (for OPENAI_BASE_URL) on its first line, then serves until interrupted, terminated, or
until its standard input closes (so that it never outlives a benchmark that started it with a pipe).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.openai_server import FakeOpenAI, Reply  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=50, help="tokens per answer")
    parser.add_argument("--delay", type=float, default=0.01, help="seconds between tokens")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    fake = FakeOpenAI().start(args.port)
    fake.script(Reply(tokens=[f" tok{i}" for i in range(args.tokens)], delay=args.delay, usage=(20, args.tokens)))
    print(fake.base_url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if not sys.stdin.isatty():
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    fake.stop()


if __name__ == "__main__":
    main()
