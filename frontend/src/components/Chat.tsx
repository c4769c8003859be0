import { useEffect, useState, type MouseEvent } from "react";
import { lastApiError } from "../api";
import { ChatRuntimeProvider } from "../ChatRuntime";
import { useSignal } from "../useSignal";
import { Thread } from "./Thread";
import { ThreadList } from "./ThreadList";

/** Failures of thread-list and history requests; chat errors show inside the thread instead. */
function ApiErrorAlert() {
  const message = useSignal(lastApiError);
  if (!message) return null;
  return (
    <div className="alert" role="alert" data-testid="app-error">
      <span>{message}</span>
      <button type="button" className="link-button" onClick={() => lastApiError.set(null)}>
        Dismiss
      </button>
    </div>
  );
}

/** The signed-in chat: thread list beside the open thread; `workspace` keys the thread-list reload. */
export function Chat({ workspace }: { workspace: string }) {
  const [sidebarOpen, setSidebarOpen] = useState(false);

  useEffect(() => {
    if (!sidebarOpen) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === "Escape") setSidebarOpen(false);
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [sidebarOpen]);

  // On narrow screens the list is an overlay: picking a thread closes it.
  const closeOnPick = (event: MouseEvent<HTMLElement>) => {
    if ((event.target as Element).closest("[data-closes-sidebar]")) setSidebarOpen(false);
  };

  return (
    <ChatRuntimeProvider workspace={workspace}>
      <div className="chat" data-sidebar-open={sidebarOpen ? "" : undefined}>
        <button
          type="button"
          className="sidebar-toggle button"
          data-testid="sidebar-toggle"
          aria-expanded={sidebarOpen}
          aria-controls="sidebar"
          onClick={() => setSidebarOpen((open) => !open)}
        >
          {sidebarOpen ? "Close conversations" : "Conversations"}
        </button>
        <nav id="sidebar" className="sidebar" aria-label="Conversations" onClick={closeOnPick}>
          <ThreadList />
        </nav>
        <main className="main">
          <ApiErrorAlert />
          <Thread />
        </main>
      </div>
    </ChatRuntimeProvider>
  );
}
