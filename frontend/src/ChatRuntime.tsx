import { useEffect, useRef, useState, type ReactNode } from "react";
import {
  AssistantRuntimeProvider,
  useAui,
  useRemoteThreadListRuntime,
} from "@assistant-ui/react";
import { AssistantChatTransport, useChatRuntime } from "@assistant-ui/react-ai-sdk";
import { chatFetch } from "./api";
import { threadListAdapter } from "./threadAdapter";

/** One AI SDK chat per thread, streaming from `/api/chat`. */
function useThreadRuntime() {
  const [transport] = useState(
    () => new AssistantChatTransport({ api: "/api/chat", fetch: chatFetch }),
  );
  return useChatRuntime({ transport });
}

/**
 * Refetches the thread list whenever the signed-in user or the active
 * organization changes while the chat stays mounted, and leaves the open
 * thread, which belongs to the previous workspace.
 */
function ReloadOnAuth({ workspace }: { workspace: string }) {
  const aui = useAui();
  const previous = useRef(workspace);
  useEffect(() => {
    if (previous.current === workspace) return;
    previous.current = workspace;
    aui.threads.switchToNewThread();
    void aui.threads.reload();
  }, [aui, workspace]);
  return null;
}

export function ChatRuntimeProvider({
  workspace,
  children,
}: {
  workspace: string;
  children: ReactNode;
}) {
  const runtime = useRemoteThreadListRuntime({
    runtimeHook: useThreadRuntime,
    adapter: threadListAdapter,
  });
  return (
    <AssistantRuntimeProvider runtime={runtime}>
      <ReloadOnAuth workspace={workspace} />
      {children}
    </AssistantRuntimeProvider>
  );
}
