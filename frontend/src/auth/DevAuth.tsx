/**
 * Local development sign-in: Django issues a Clerk-format `__session` cookie for
 * any user id typed here. The banner says so on every page.
 */
import { useState, type FormEvent } from "react";
import { sessionExpired, startSession } from "../api";
import { workspaceKey, type ChatConfig, type Identity } from "../config";
import { Chat } from "../components/Chat";
import { Layout, SignInPrompt } from "../components/Layout";
import { useSignal } from "../useSignal";

const ROLES = ["org:admin", "org:member"] as const;

function csrfToken(fallback: string): string {
  const match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
  return match?.[1] ? decodeURIComponent(match[1]) : fallback;
}

async function devPost(url: string, fields: Record<string, string>, csrf: string): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/x-www-form-urlencoded",
      "X-CSRFToken": csrfToken(csrf),
    },
    body: new URLSearchParams(fields),
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw new Error(errorText(body) ?? `The server answered ${response.status}.`);
  return body;
}

/** `{"detail": "..."}`, or a Django form's `{"field": [{"message": "..."}]}` errors. */
function errorText(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  if ("detail" in body) return String(body.detail);
  const messages = Object.values(body).flatMap((errors: unknown) =>
    Array.isArray(errors)
      ? errors.map((error: unknown) =>
          error && typeof error === "object" && "message" in error ? String(error.message) : String(error),
        )
      : [],
  );
  return messages.length > 0 ? messages.join(" ") : null;
}

export function identityLabel(identity: Identity | null): string {
  if (!identity) return "Signed out";
  if (!identity.orgId) return identity.userId;
  const org = identity.orgSlug ? `${identity.orgSlug} (${identity.orgId})` : identity.orgId;
  return `${identity.userId} in ${org}${identity.orgRole ? `, ${identity.orgRole}` : ""}`;
}

function DevSignInForm({
  config,
  current,
  previous = null,
  autoFocus = false,
  onSignedIn,
}: {
  config: ChatConfig;
  /** The signed-in identity when the form switches; `null` when it signs in. */
  current: Identity | null;
  /** Who was signed in before the session ended: the form starts with their values. */
  previous?: Identity | null;
  autoFocus?: boolean;
  onSignedIn: (identity: Identity) => void;
}) {
  const initial = current ?? previous;
  const [userId, setUserId] = useState(initial?.userId ?? "user_dev");
  const [orgId, setOrgId] = useState(initial?.orgId ?? "");
  const [orgSlug, setOrgSlug] = useState(initial?.orgSlug ?? "");
  const [role, setRole] = useState<string>(initial?.orgRole ?? "org:admin");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const fields: Record<string, string> = {
      user_id: userId.trim(),
      next: window.location.pathname + window.location.search,
    };
    if (orgId.trim()) {
      fields.org_id = orgId.trim();
      fields.org_role = role;
      if (orgSlug.trim()) fields.org_slug = orgSlug.trim();
    }
    try {
      const body = await devPost(config.signInUrl, fields, config.csrfToken);
      const identity = (body as { identity?: Identity } | null)?.identity;
      if (!identity?.userId) throw new Error("The sign-in answer carried no identity.");
      onSignedIn(identity);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="dev-form" onSubmit={onSubmit} data-testid="dev-sign-in-form">
      <label>
        User id
        <input
          data-testid="dev-user-id"
          name="user_id"
          value={userId}
          required
          autoFocus={autoFocus}
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => setUserId(event.target.value)}
        />
      </label>
      <label>
        <span>
          Organization id <span className="hint">(optional)</span>
        </span>
        <input
          data-testid="dev-org-id"
          name="org_id"
          value={orgId}
          placeholder="org_…"
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => setOrgId(event.target.value)}
        />
      </label>
      <label>
        <span>
          Organization slug <span className="hint">(optional)</span>
        </span>
        <input
          data-testid="dev-org-slug"
          name="org_slug"
          value={orgSlug}
          disabled={!orgId.trim()}
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => setOrgSlug(event.target.value)}
        />
      </label>
      <label>
        Role
        <select
          data-testid="dev-org-role"
          name="org_role"
          value={role}
          disabled={!orgId.trim()}
          onChange={(event) => setRole(event.target.value)}
        >
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="button primary" data-testid="dev-sign-in-submit" disabled={busy}>
        {current ? "Switch" : "Sign in"}
      </button>
      {error && (
        <p className="form-error" role="alert" data-testid="dev-sign-in-error">
          {error}
        </p>
      )}
    </form>
  );
}

export function DevApp({ config }: { config: ChatConfig }) {
  const [identity, setIdentity] = useState<Identity | null>(config.identity);
  const [signOutError, setSignOutError] = useState<string | null>(null);
  const [switcherOpen, setSwitcherOpen] = useState(false);
  const expired = useSignal(sessionExpired);
  const current = expired ? null : identity;

  const onSignedIn = (next: Identity) => {
    startSession();
    setIdentity(next);
    setSwitcherOpen(false);
  };

  const signOut = async () => {
    setSignOutError(null);
    try {
      await devPost(config.signOutUrl, {}, config.csrfToken);
      setIdentity(null);
    } catch (caught) {
      setSignOutError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  const banner = (
    <section className="dev-banner" aria-label="Development sign-in" data-testid="dev-banner">
      <p>
        <strong>Development sign-in.</strong> Any user id is accepted; never use this mode in
        production.
      </p>
      <p className="identity">
        {current ? "Signed in as " : null}
        <span data-testid="identity">{identityLabel(current)}</span>
      </p>
      {current && (
        <details
          className="dev-switcher"
          open={switcherOpen}
          onToggle={(event) => setSwitcherOpen(event.currentTarget.open)}
        >
          <summary data-testid="dev-switcher">Switch user or organization</summary>
          <DevSignInForm config={config} current={current} onSignedIn={onSignedIn} />
        </details>
      )}
      {signOutError && (
        <p className="form-error" role="alert">
          {signOutError}
        </p>
      )}
    </section>
  );

  const controls = current ? (
    <button type="button" className="button" data-testid="sign-out" onClick={signOut}>
      Sign out
    </button>
  ) : null;

  const signInHref = `${config.signInUrl}?next=${encodeURIComponent(window.location.pathname)}`;

  return (
    <Layout banner={banner} controls={controls}>
      {current ? (
        <Chat workspace={workspaceKey(current.userId, current.orgId)} />
      ) : (
        <SignInPrompt notice={expired ? "Your session has expired." : undefined}>
          <p>
            Use the <a href={signInHref} data-testid="sign-in-link">development sign-in page</a>,
            or sign in here:
          </p>
          {/* After an expired session the chat vanished under the visitor's focus: put it here, filled in. */}
          <DevSignInForm
            config={config}
            current={null}
            previous={expired ? identity : null}
            autoFocus={expired}
            onSignedIn={onSignedIn}
          />
        </SignInPrompt>
      )}
    </Layout>
  );
}
