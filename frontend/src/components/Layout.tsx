import type { ReactNode } from "react";

export function Layout({
  banner,
  controls,
  children,
}: {
  banner?: ReactNode;
  controls?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="app">
      {banner}
      <header className="app-header">
        <h1 className="app-title">Assistant</h1>
        <div className="auth-controls">{controls}</div>
      </header>
      {children}
    </div>
  );
}

/** The page a signed-out visitor sees instead of the chat. */
export function SignInPrompt({ notice, children }: { notice?: string | undefined; children: ReactNode }) {
  return (
    <main className="sign-in-prompt" data-testid="sign-in-prompt">
      <h2>Sign in to chat</h2>
      {notice && (
        <p className="notice" role="status" data-testid="session-notice">
          {notice}
        </p>
      )}
      {children}
    </main>
  );
}
