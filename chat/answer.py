"""The assistant's answer as it streams: UI message chunks out, and the same message assembled for storage."""

from __future__ import annotations

from typing import Any

from .protocol import finish_reason


class Answer:
    """Turns the model's reasoning and text deltas into UI message stream chunks (dicts, in order).

    It assembles the message exactly as the AI SDK client does from those chunks (a `step-start` part, then
    reasoning and text parts whose state becomes "done" when they end), so the stored row equals what the
    browser shows.
    """

    def __init__(self, message_id: str, model: str) -> None:
        self.message_id = message_id
        self.model = model
        self.parts: list[dict[str, Any]] = []
        self.usage: tuple[int, int] | None = None
        self.status = "incomplete"
        self.error: str | None = None
        self.finish_reason = "other"
        self._open: dict[str, Any] | None = None  # the reasoning or text part being streamed
        self._open_id = ""
        self._buffer: list[str] = []  # the open part's deltas, joined when it closes
        self._counters = {"reasoning": 0, "text": 0}

    @property
    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"model": self.model}
        if self.usage is not None:
            prompt, completion = self.usage
            metadata["usage"] = {"inputTokens": prompt, "outputTokens": completion, "totalTokens": prompt + completion}
        return metadata

    @property
    def content(self) -> dict[str, Any]:
        """The history row's content: {role, parts, metadata}."""
        return {"role": "assistant", "parts": self.parts, "metadata": self.metadata}

    @property
    def text(self) -> str:
        return "".join(part["text"] for part in self.parts if part["type"] == "text")

    def start(self) -> list[dict[str, Any]]:
        self.parts.append({"type": "step-start"})
        return [
            {"type": "start", "messageId": self.message_id, "messageMetadata": {"model": self.model}},
            {"type": "start-step"},
        ]

    def reasoning(self, delta: str) -> list[dict[str, Any]]:
        return self._delta("reasoning", delta)

    def text_delta(self, delta: str) -> list[dict[str, Any]]:
        return self._delta("text", delta)

    def complete(self, provider_reason: str | None) -> list[dict[str, Any]]:
        """The model finished: close the open part and the step. `end()` follows once the answer is stored."""
        self.status = "complete"
        self.finish_reason = finish_reason(provider_reason)
        return [*self._close(), {"type": "finish-step"}]

    def fail(self, error_text: str) -> list[dict[str, Any]]:
        """The model call failed: keep what arrived, tell the client in words safe to show."""
        self.status = "error"
        self.error = error_text
        self.finish_reason = "error"
        return [*self._close(), {"type": "error", "errorText": error_text}, {"type": "finish-step"}]

    def unsaved(self) -> list[dict[str, Any]]:
        """The answer arrived but could not be stored: the client must not believe it was."""
        self.finish_reason = "error"
        return [{"type": "error", "errorText": "The answer could not be saved. Please try again."}]

    def end(self) -> list[dict[str, Any]]:
        return [{"type": "finish", "finishReason": self.finish_reason, "messageMetadata": self.metadata}]

    def interrupt(self) -> None:
        """The client went away: what arrived is stored as an incomplete answer."""
        self._close()
        self.status = "incomplete"

    def _delta(self, kind: str, delta: str) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        if self._open is None or self._open["type"] != kind:
            chunks.extend(self._close())
            self._open_id = f"{'rsn' if kind == 'reasoning' else 'txt'}_{self._counters[kind]}"
            self._counters[kind] += 1
            # As the AI SDK (v7) assembles them: reasoning parts keep their stream id, text parts do not.
            self._open = {"type": kind, "text": "", "state": "streaming"}
            if kind == "reasoning":
                self._open["id"] = self._open_id
            self.parts.append(self._open)
            chunks.append({"type": f"{kind}-start", "id": self._open_id})
        self._buffer.append(delta)
        chunks.append({"type": f"{kind}-delta", "id": self._open_id, "delta": delta})
        return chunks

    def _close(self) -> list[dict[str, Any]]:
        if self._open is None:
            return []
        part, self._open = self._open, None
        part["text"] = "".join(self._buffer)
        part["state"] = "done"
        self._buffer = []
        return [{"type": f"{part['type']}-end", "id": self._open_id}]
