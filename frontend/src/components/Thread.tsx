import { useEffect, useRef, type RefObject } from "react";
import {
  ActionBarPrimitive,
  AuiIf,
  ComposerPrimitive,
  ErrorPrimitive,
  MessagePartPrimitive,
  MessagePrimitive,
  ThreadPrimitive,
  useAuiState,
} from "@assistant-ui/react";

/** Collapsible reasoning; its summary says "Thinking…" while the part still streams. */
function Reasoning() {
  const running = useAuiState((s) => s.part.status.type === "running");
  return (
    <details className="reasoning" data-testid="reasoning">
      <summary>{running ? "Thinking…" : "Reasoning"}</summary>
      <MessagePartPrimitive.Text className="reasoning-text" />
    </details>
  );
}

function ToolCall({ toolName, status }: { toolName: string; status: { type: string } }) {
  const state =
    status.type === "running" ? "running…" : status.type === "incomplete" ? "failed" : "done";
  return (
    <div className="tool-call" data-testid="tool-call">
      Tool <code>{toolName}</code>: {state}
    </div>
  );
}

function UserMessage() {
  return (
    <MessagePrimitive.Root className="message message-user" data-testid="message" data-role="user">
      <div className="bubble">
        <MessagePrimitive.Parts>
          {({ part }) =>
            part.type === "text" ? (
              <MessagePartPrimitive.Text className="text" data-testid="message-text" />
            ) : null
          }
        </MessagePrimitive.Parts>
      </div>
    </MessagePrimitive.Root>
  );
}

function AssistantMessage() {
  return (
    <MessagePrimitive.Root
      className="message message-assistant"
      data-testid="message"
      data-role="assistant"
    >
      <div className="bubble">
        <MessagePrimitive.Parts>
          {({ part }) => {
            switch (part.type) {
              case "text":
                return (
                  <div className="text" data-testid="message-text">
                    <MessagePartPrimitive.Text />
                    <MessagePartPrimitive.InProgress>
                      <span className="cursor" aria-hidden="true" />
                    </MessagePartPrimitive.InProgress>
                  </div>
                );
              case "reasoning":
                return <Reasoning />;
              case "tool-call":
                return part.toolUI ?? <ToolCall toolName={part.toolName} status={part.status} />;
              case "source":
                return part.sourceType === "url" ? (
                  <a className="source" href={part.url} target="_blank" rel="noreferrer noopener">
                    {part.title ?? part.url}
                  </a>
                ) : null;
              default:
                return null;
            }
          }}
        </MessagePrimitive.Parts>
        <MessagePrimitive.Error>
          <ErrorPrimitive.Root className="message-error" data-testid="message-error">
            <ErrorPrimitive.Message />
          </ErrorPrimitive.Root>
        </MessagePrimitive.Error>
      </div>
      <ActionBarPrimitive.Root className="message-actions" hideWhenRunning autohide="never">
        <ActionBarPrimitive.Copy className="link-button" aria-label="Copy answer">
          Copy
        </ActionBarPrimitive.Copy>
        <ActionBarPrimitive.Reload className="link-button" aria-label="Regenerate answer">
          Retry
        </ActionBarPrimitive.Reload>
      </ActionBarPrimitive.Root>
    </MessagePrimitive.Root>
  );
}

/** Puts focus back in the composer when the button that had it disappears (send ↔ stop). */
function useComposerFocus(input: RefObject<HTMLTextAreaElement | null>) {
  const running = useAuiState((s) => s.thread.isRunning);
  useEffect(() => {
    const active = document.activeElement;
    if (!active || active === document.body) input.current?.focus();
  }, [running, input]);
}

function Composer() {
  const input = useRef<HTMLTextAreaElement>(null);
  useComposerFocus(input);
  return (
    <ComposerPrimitive.Root className="composer" aria-label="Message composer">
      <span id="composer-hint" className="visually-hidden">
        Enter sends, Shift+Enter starts a new line, Escape stops the answer.
      </span>
      <ComposerPrimitive.Input
        ref={input}
        className="composer-input"
        data-testid="composer-input"
        aria-label="Message"
        aria-describedby="composer-hint"
        placeholder="Send a message…"
        rows={1}
        maxRows={8}
        autoFocus
      />
      <AuiIf condition={(s) => !s.thread.isRunning}>
        <ComposerPrimitive.Send className="button primary" data-testid="send-button" aria-label="Send message">
          Send
        </ComposerPrimitive.Send>
      </AuiIf>
      <AuiIf condition={(s) => s.thread.isRunning}>
        <ComposerPrimitive.Cancel
          className="button"
          data-testid="stop-button"
          aria-label="Stop generating (Escape)"
          onClick={() => requestAnimationFrame(() => input.current?.focus())}
        >
          Stop
        </ComposerPrimitive.Cancel>
      </AuiIf>
    </ComposerPrimitive.Root>
  );
}

export function Thread() {
  return (
    <ThreadPrimitive.Root className="thread">
      <ThreadPrimitive.Viewport className="thread-viewport">
        <AuiIf condition={(s) => s.thread.isLoading}>
          <p className="thread-status">Loading messages…</p>
        </AuiIf>
        <AuiIf condition={(s) => s.thread.isEmpty && !s.thread.isLoading}>
          <div className="welcome">
            <h2>How can I help?</h2>
            <p>Your conversations are saved to your account.</p>
          </div>
        </AuiIf>
        <div className="messages" data-testid="messages">
          <ThreadPrimitive.Messages>
            {({ message }) => (message.role === "user" ? <UserMessage /> : <AssistantMessage />)}
          </ThreadPrimitive.Messages>
        </div>
        <ThreadPrimitive.ViewportFooter className="thread-footer">
          <Composer />
        </ThreadPrimitive.ViewportFooter>
      </ThreadPrimitive.Viewport>
    </ThreadPrimitive.Root>
  );
}
