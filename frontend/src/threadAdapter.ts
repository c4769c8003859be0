/**
 * The assistant-ui adapters backed by the Django REST API: the thread list
 * (`RemoteThreadListAdapter`) and, per thread, the message history in the AI SDK
 * storage format (`ThreadHistoryAdapter.withFormat`).
 */
import { useMemo } from "react";
import {
  getExternalStoreMessages,
  useAui,
  type RemoteThreadListAdapter,
  type RuntimeAdapters,
  type ThreadHistoryAdapter,
  type ThreadMessage,
} from "@assistant-ui/react";
import { createAssistantStream } from "assistant-stream";
import type { UIMessage } from "ai";
import { ApiError, apiFetch, apiJson, nextLink } from "./api";

type RemoteThreadMetadata = Awaited<ReturnType<RemoteThreadListAdapter["fetch"]>>;

/** A thread as `/api/threads` serializes it. */
type ThreadRow = {
  id: string;
  external_id: string | null;
  title: string | null;
  status: "regular" | "archived";
  custom: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  last_message_at: string | null;
};

/** A stored message as `/api/threads/{id}/messages` serializes it. */
type MessageRow = {
  id: string;
  parent_id: string | null;
  format: string;
  content: Record<string, unknown>;
  created_at?: string;
};

const PAGE_SIZE = 50;
const STATUSES = ["regular", "archived"] as const;
type Status = (typeof STATUSES)[number];

/** The list pages regular and archived threads separately; the cursor carries both next links. */
type ListCursor = Partial<Record<Status, string>>;

/**
 * A 401 has already switched the page to its signed-out state (api.ts), which
 * unmounts the chat. Reads answer "nothing" then instead of failing, because
 * assistant-ui logs a failed load to the console as an error.
 */
function emptyWhenSignedOut<T>(empty: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof ApiError && error.status === 401) return empty;
    throw error;
  };
}

const threadUrl = (remoteId: string) => `/api/threads/${encodeURIComponent(remoteId)}`;

function toMetadata(row: ThreadRow): RemoteThreadMetadata {
  return {
    remoteId: row.id,
    externalId: row.external_id ?? undefined,
    status: row.status === "archived" ? "archived" : "regular",
    title: row.title ?? undefined,
    lastMessageAt: row.last_message_at ? new Date(row.last_message_at) : undefined,
    custom: row.custom ?? undefined,
  };
}

/** Keeps a `Link` URL on this origin even when the server spells out its own host. */
function samePath(url: string): string {
  const parsed = new URL(url, window.location.href);
  return parsed.pathname + parsed.search;
}

async function listPage(url: string): Promise<{ rows: ThreadRow[]; next: string | null }> {
  const response = await apiFetch(url);
  const rows = (await response.json()) as ThreadRow[];
  const next = nextLink(response);
  return { rows, next: next ? samePath(next) : null };
}

/**
 * The title endpoint gets the conversation in the same AI SDK message shape as
 * `/api/chat`. Messages loaded from history carry their original `UIMessage`;
 * anything else is reduced to its text.
 */
function toUIMessages(messages: readonly ThreadMessage[]): UIMessage[] {
  return messages.flatMap((message) => {
    const original = getExternalStoreMessages<UIMessage>(message);
    if (original.length > 0) return [...original];
    const parts = message.content.flatMap((part) =>
      part.type === "text" ? [{ type: "text" as const, text: part.text }] : [],
    );
    return [{ id: message.id, role: message.role, parts }];
  });
}

/** Per-thread adapters; resolves the thread lazily on every call, as the runtime requires. */
function useThreadAdapters(): RuntimeAdapters {
  const aui = useAui();
  const history = useMemo<ThreadHistoryAdapter>(
    () => ({
      // useChatRuntime only ever calls the formatted adapter below.
      async load() {
        return { messages: [] };
      },
      async append() {},
      withFormat: (fmt) => ({
        async load() {
          const { remoteId } = aui.threadListItem.getState();
          if (!remoteId) return { messages: [] };
          const rows = await apiJson<MessageRow[]>(`${threadUrl(remoteId)}/messages`).catch(
            emptyWhenSignedOut<MessageRow[]>([]),
          );
          return {
            messages: rows
              .filter((row) => row.format === fmt.format)
              .map((row) =>
                fmt.decode({
                  id: row.id,
                  parent_id: row.parent_id,
                  format: row.format,
                  content: row.content as Parameters<typeof fmt.decode>[0]["content"],
                }),
              ),
          };
        },
        async append(item) {
          // The first message may be appended before the thread row exists.
          const { remoteId } = await aui.threadListItem.initialize();
          await apiFetch(`${threadUrl(remoteId)}/messages`, {
            method: "POST",
            json: {
              id: fmt.getId(item.message),
              parent_id: item.parentId,
              format: fmt.format,
              content: fmt.encode(item),
            },
          });
        },
        async update(item, localMessageId) {
          const { remoteId } = await aui.threadListItem.initialize();
          await apiFetch(
            `${threadUrl(remoteId)}/messages/${encodeURIComponent(localMessageId)}`,
            { method: "PATCH", json: { format: fmt.format, content: fmt.encode(item) } },
          );
        },
      }),
    }),
    [aui],
  );
  return useMemo(() => ({ history }), [history]);
}

export const threadListAdapter: RemoteThreadListAdapter = {
  async list(params) {
    let cursor: ListCursor | null = null;
    if (params?.after) {
      try {
        cursor = JSON.parse(params.after) as ListCursor;
      } catch {
        cursor = {};
      }
    }
    const urls = STATUSES.flatMap((status): [Status, string][] => {
      if (!cursor) return [[status, `/api/threads?status=${status}&limit=${PAGE_SIZE}`]];
      const next = cursor[status];
      return next ? [[status, next]] : [];
    });
    const pages = await Promise.all(
      urls.map(async ([status, url]) => ({
        status,
        ...(await listPage(url).catch(emptyWhenSignedOut({ rows: [] as ThreadRow[], next: null }))),
      })),
    );
    const nextCursor: ListCursor = {};
    for (const page of pages) if (page.next) nextCursor[page.status] = page.next;
    return {
      threads: pages.flatMap((page) => page.rows.map(toMetadata)),
      nextCursor: Object.keys(nextCursor).length > 0 ? JSON.stringify(nextCursor) : undefined,
    };
  },

  async initialize(threadId, options) {
    const row = await apiJson<ThreadRow>("/api/threads", {
      method: "POST",
      json: { external_id: threadId, ...(options?.custom ? { custom: options.custom } : {}) },
    });
    return { remoteId: row.id, externalId: row.external_id ?? undefined };
  },

  async rename(remoteId, title) {
    await apiFetch(threadUrl(remoteId), { method: "PATCH", json: { title } });
  },

  async archive(remoteId) {
    await apiFetch(threadUrl(remoteId), { method: "PATCH", json: { status: "archived" } });
  },

  async unarchive(remoteId) {
    await apiFetch(threadUrl(remoteId), { method: "PATCH", json: { status: "regular" } });
  },

  async delete(remoteId) {
    await apiFetch(threadUrl(remoteId), { method: "DELETE" });
  },

  async fetch(remoteId) {
    return toMetadata(await apiJson<ThreadRow>(threadUrl(remoteId)));
  },

  async generateTitle(remoteId, messages) {
    // The endpoint answers with the whole title at once; the runtime wants a stream.
    return createAssistantStream(async (controller) => {
      const { title } = await apiJson<{ title: string }>(`${threadUrl(remoteId)}/title`, {
        method: "POST",
        json: { messages: toUIMessages(messages) },
      });
      controller.appendText(title);
    });
  },

  unstable_useAdapters: useThreadAdapters,
};
