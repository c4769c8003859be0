/**
 * Clerk sign-in: ClerkJS keeps the `__session` cookie fresh, the backend verifies
 * it on every request. The thread list follows the active user and organization.
 */
import { useEffect, useRef, useState } from "react";
import {
  ClerkFailed,
  ClerkLoading,
  ClerkProvider,
  OrganizationSwitcher,
  Show,
  SignInButton,
  UserButton,
  useAuth,
} from "@clerk/react";
import { sessionExpired, startSession } from "../api";
import { workspaceKey } from "../config";
import { Chat } from "../components/Chat";
import { Layout, SignInPrompt } from "../components/Layout";
import { useSignal } from "../useSignal";

/**
 * Mounts the chat only once ClerkJS has written a fresh session cookie, so the
 * first requests do not race an expired one. A 401 afterwards stops the chat
 * until the visitor asks to try again.
 */
function SignedInChat() {
  const { userId, orgId, sessionId, getToken } = useAuth();
  const expired = useSignal(sessionExpired);
  const [readyFor, setReadyFor] = useState<string | null>(null);
  const [retrying, setRetrying] = useState(false);
  const session = sessionId ?? "";
  const getTokenRef = useRef(getToken);
  useEffect(() => {
    getTokenRef.current = getToken;
  });

  useEffect(() => {
    let cancelled = false;
    getTokenRef.current()
      .catch(() => null)
      .then(() => {
        if (cancelled) return;
        startSession();
        setReadyFor(session);
      });
    return () => {
      cancelled = true;
    };
  }, [session]);

  const retry = async () => {
    setRetrying(true);
    try {
      await getToken({ skipCache: true });
      startSession();
    } catch {
      // Still no session: the prompt stays, and "Sign in again" is the way out.
    } finally {
      setRetrying(false);
    }
  };

  if (expired) {
    return (
      <SignInPrompt notice="The server did not accept your session.">
        <div className="prompt-actions">
          <button type="button" className="button primary" onClick={retry} disabled={retrying}>
            Try again
          </button>
          <SignInButton mode="modal">
            <button type="button" className="button">
              Sign in again
            </button>
          </SignInButton>
        </div>
      </SignInPrompt>
    );
  }
  if (readyFor !== session) {
    return (
      <main className="sign-in-prompt">
        <p className="list-status">Loading…</p>
      </main>
    );
  }
  return <Chat workspace={workspaceKey(userId, orgId)} />;
}

function ClerkControls() {
  const { userId, orgId } = useAuth();
  return (
    <Show when="signed-in">
      <span className="visually-hidden" data-testid="identity">
        Signed in as {userId}
        {orgId ? ` in ${orgId}` : ""}
      </span>
      <OrganizationSwitcher />
      <UserButton />
    </Show>
  );
}

export function ClerkApp({ publishableKey }: { publishableKey: string }) {
  return (
    <ClerkProvider publishableKey={publishableKey} afterSignOutUrl="/">
      <Layout controls={<ClerkControls />}>
        <ClerkLoading>
          <main className="sign-in-prompt">
            <p className="list-status">Loading sign-in…</p>
          </main>
        </ClerkLoading>
        <ClerkFailed>
          <SignInPrompt notice="Sign-in could not be loaded. Check your connection and reload the page.">
            <p>The chat needs Clerk's sign-in service to identify you.</p>
          </SignInPrompt>
        </ClerkFailed>
        <Show when="signed-out">
          <SignInPrompt>
            <p>Sign in with your account to see your conversations.</p>
            <SignInButton mode="modal">
              <button type="button" className="button primary" data-testid="sign-in-button">
                Sign in
              </button>
            </SignInButton>
          </SignInPrompt>
        </Show>
        <Show when="signed-in">
          <SignedInChat />
        </Show>
      </Layout>
    </ClerkProvider>
  );
}
