import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import {
  AuiIf,
  ThreadListItemPrimitive,
  ThreadListPrimitive,
  useAui,
  useAuiState,
} from "@assistant-ui/react";

const UNTITLED = "New chat";

function RenameForm({ initial, onDone }: { initial: string; onDone: () => void }) {
  const aui = useAui();
  const [value, setValue] = useState(initial);
  const commit = () => {
    const title = value.trim();
    if (title && title !== initial) aui.threadListItem.rename(title);
    onDone();
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    commit();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      onDone();
    }
  };
  return (
    <form className="rename-form" onSubmit={onSubmit}>
      <input
        className="rename-input"
        data-testid="thread-rename-input"
        aria-label="Conversation title"
        value={value}
        maxLength={200}
        autoFocus
        onChange={(event) => setValue(event.target.value)}
        onKeyDown={onKeyDown}
        onBlur={commit}
      />
    </form>
  );
}

function ThreadListItem({ archived }: { archived: boolean }) {
  const title = useAuiState((s) => s.threadListItem.title) || UNTITLED;
  const [renaming, setRenaming] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const renameButton = useRef<HTMLButtonElement>(null);
  const wasRenaming = useRef(false);

  // Give focus back to the Rename button once the inline form closes.
  useEffect(() => {
    if (wasRenaming.current && !renaming) renameButton.current?.focus();
    wasRenaming.current = renaming;
  }, [renaming]);

  return (
    <ThreadListItemPrimitive.Root className="thread-item" data-testid="thread-item">
      {renaming ? (
        <RenameForm initial={title} onDone={() => setRenaming(false)} />
      ) : (
        <ThreadListItemPrimitive.Trigger
          className="thread-trigger"
          data-testid="thread-item-trigger"
          data-closes-sidebar=""
        >
          <span className="thread-title" data-testid="thread-title">
            <ThreadListItemPrimitive.Title fallback={UNTITLED} />
          </span>
        </ThreadListItemPrimitive.Trigger>
      )}
      {confirmingDelete ? (
        <div className="thread-actions confirm" role="group" aria-label={`Delete “${title}”?`}>
          <ThreadListItemPrimitive.Delete
            className="link-button danger"
            data-testid="thread-delete-confirm"
            aria-label={`Confirm deleting “${title}”`}
          >
            Delete
          </ThreadListItemPrimitive.Delete>
          <button
            type="button"
            className="link-button"
            data-testid="thread-delete-cancel"
            onClick={() => setConfirmingDelete(false)}
          >
            Keep
          </button>
        </div>
      ) : (
        <div className="thread-actions">
          <button
            ref={renameButton}
            type="button"
            className="link-button"
            data-testid="thread-rename"
            aria-label={`Rename “${title}”`}
            onClick={() => setRenaming(true)}
          >
            Rename
          </button>
          {archived ? (
            <ThreadListItemPrimitive.Unarchive
              className="link-button"
              data-testid="thread-unarchive"
              aria-label={`Restore “${title}” from the archive`}
            >
              Restore
            </ThreadListItemPrimitive.Unarchive>
          ) : (
            <ThreadListItemPrimitive.Archive
              className="link-button"
              data-testid="thread-archive"
              aria-label={`Archive “${title}”`}
            >
              Archive
            </ThreadListItemPrimitive.Archive>
          )}
          <button
            type="button"
            className="link-button danger"
            data-testid="thread-delete"
            aria-label={`Delete “${title}”`}
            onClick={() => setConfirmingDelete(true)}
          >
            Delete
          </button>
        </div>
      )}
    </ThreadListItemPrimitive.Root>
  );
}

export function ThreadList() {
  const [showArchived, setShowArchived] = useState(false);
  const archivedCount = useAuiState((s) => s.threads.archivedThreadIds.length);

  return (
    <ThreadListPrimitive.Root className="thread-list" data-testid="thread-list">
      <ThreadListPrimitive.New
        className="button primary new-thread"
        data-testid="new-thread"
        data-closes-sidebar=""
      >
        + New chat
      </ThreadListPrimitive.New>

      <h2 className="list-heading">Conversations</h2>
      <AuiIf condition={(s) => s.threads.isLoading}>
        <p className="list-status">Loading…</p>
      </AuiIf>
      <AuiIf condition={(s) => !s.threads.isLoading && s.threads.threadIds.length === 0}>
        <p className="list-status" data-testid="thread-list-empty">
          No conversations yet.
        </p>
      </AuiIf>
      <div className="thread-items" data-testid="thread-items">
        <ThreadListPrimitive.Items>{() => <ThreadListItem archived={false} />}</ThreadListPrimitive.Items>
      </div>
      <AuiIf condition={(s) => s.threads.hasMore}>
        <ThreadListPrimitive.LoadMore className="link-button" data-testid="thread-load-more">
          Load more
        </ThreadListPrimitive.LoadMore>
      </AuiIf>

      <button
        type="button"
        className="archived-toggle"
        data-testid="archived-toggle"
        aria-expanded={showArchived}
        aria-controls="archived-threads"
        onClick={() => setShowArchived((open) => !open)}
      >
        {showArchived ? "▾" : "▸"} Archived ({archivedCount})
      </button>
      {showArchived && (
        <div id="archived-threads" className="thread-items archived" data-testid="archived-thread-list">
          {archivedCount === 0 && <p className="list-status">Nothing archived.</p>}
          <ThreadListPrimitive.Items archived>{() => <ThreadListItem archived />}</ThreadListPrimitive.Items>
        </div>
      )}
    </ThreadListPrimitive.Root>
  );
}
