/** Who the backend says is signed in; `null` when nobody is. */
export type Identity = {
  userId: string;
  sessionId: string;
  orgId: string | null;
  orgSlug: string | null;
  orgRole: string | null;
};

/** What the Django view renders into `<script type="application/json" id="chat-config">`. */
export type ChatConfig = {
  clerkPublishableKey: string | null;
  devSignIn: boolean;
  signInUrl: string;
  signOutUrl: string;
  csrfToken: string;
  identity: Identity | null;
};

const DEFAULTS: ChatConfig = {
  clerkPublishableKey: null,
  devSignIn: false,
  signInUrl: "/dev/sign-in",
  signOutUrl: "/dev/sign-out",
  csrfToken: "",
  identity: null,
};

export function readChatConfig(doc: Document = document): ChatConfig {
  const element = doc.getElementById("chat-config");
  if (!element?.textContent) return DEFAULTS;
  try {
    return { ...DEFAULTS, ...(JSON.parse(element.textContent) as Partial<ChatConfig>) };
  } catch {
    return DEFAULTS;
  }
}

/** The key the thread list is reloaded on: a new user or a new organization is a new workspace. */
export function workspaceKey(userId: string | null | undefined, orgId: string | null | undefined): string {
  return `${userId ?? ""}|${orgId ?? ""}`;
}
