/**
 * Every request the chat makes to the Django backend goes through here, so that an
 * expired session is noticed once and stops all further traffic until the visitor
 * signs in again, and so that `{"detail": "..."}` errors reach the screen as text.
 */

export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

const SIGNED_OUT_MESSAGE = "You are signed out. Sign in again to continue.";

type Listener = () => void;

/** A tiny external store for `useSyncExternalStore`. */
class Signal<T> {
  private value: T;
  private readonly listeners = new Set<Listener>();

  constructor(initial: T) {
    this.value = initial;
  }

  get = (): T => this.value;

  set(value: T) {
    if (Object.is(value, this.value)) return;
    this.value = value;
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

/** True once any request answered 401; reset by a successful sign-in. */
export const sessionExpired = new Signal(false);

/** The latest failure of a thread-list or history request, for the alert above the chat. */
export const lastApiError = new Signal<string | null>(null);

export function startSession() {
  sessionExpired.set(false);
  lastApiError.set(null);
}

async function detailOf(response: Response): Promise<string> {
  const fallback = `The server answered ${response.status} ${response.statusText}`.trim();
  let text: string;
  try {
    text = await response.text();
  } catch {
    return fallback;
  }
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === "object" && "detail" in body) {
      const detail = (body as { detail: unknown }).detail;
      if (typeof detail === "string" && detail) return detail;
    }
  } catch {
    // Not JSON: a proxy's HTML error page, for instance; show the status instead.
  }
  return text && text.length <= 300 && !text.trimStart().startsWith("<") ? text : fallback;
}

type ApiInit = {
  method?: string;
  json?: unknown;
  signal?: AbortSignal | undefined;
};

/** Same-origin request; the Clerk `__session` cookie travels with it on its own. */
export async function apiFetch(path: string, init: ApiInit = {}): Promise<Response> {
  if (sessionExpired.get()) throw new ApiError(401, SIGNED_OUT_MESSAGE);
  const headers: Record<string, string> = { Accept: "application/json" };
  let body: string | undefined;
  if (init.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  const response = await fetch(path, {
    method: init.method ?? "GET",
    headers,
    body,
    credentials: "same-origin",
    signal: init.signal,
  });
  if (response.status === 401) {
    sessionExpired.set(true);
    throw new ApiError(401, SIGNED_OUT_MESSAGE);
  }
  if (!response.ok) {
    const error = new ApiError(response.status, await detailOf(response));
    lastApiError.set(error.message);
    throw error;
  }
  return response;
}

export async function apiJson<T>(path: string, init: ApiInit = {}): Promise<T> {
  const response = await apiFetch(path, init);
  return (await response.json()) as T;
}

/**
 * The `fetch` given to the AI SDK transport. The SDK shows a non-2xx body as the
 * error text, so the JSON error is replaced by its `detail`; a 401 also signs the
 * page out.
 */
export const chatFetch: typeof fetch = async (input, init) => {
  if (sessionExpired.get()) {
    return new Response(SIGNED_OUT_MESSAGE, { status: 401 });
  }
  const response = await fetch(input, { ...init, credentials: "same-origin" });
  if (response.ok) return response;
  if (response.status === 401) sessionExpired.set(true);
  const message = response.status === 401 ? SIGNED_OUT_MESSAGE : await detailOf(response);
  return new Response(message, {
    status: response.status,
    statusText: response.statusText,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
};

/** The `next` cursor of a `Link: <url>; rel="next"` header, if any. */
export function nextLink(response: Response): string | null {
  const header = response.headers.get("Link");
  if (!header) return null;
  for (const part of header.split(",")) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (match?.[1]) return match[1];
  }
  return null;
}
