import { workspaceKey, type ChatConfig } from "./config";
import { ClerkApp } from "./auth/ClerkAuth";
import { DevApp } from "./auth/DevAuth";
import { Chat } from "./components/Chat";
import { Layout, SignInPrompt } from "./components/Layout";

export function App({ config }: { config: ChatConfig }) {
  if (config.clerkPublishableKey) return <ClerkApp publishableKey={config.clerkPublishableKey} />;
  if (config.devSignIn) return <DevApp config={config} />;
  // Neither Clerk nor development sign-in: the server can only have vouched for the visitor itself.
  return (
    <Layout>
      {config.identity ? (
        <Chat workspace={workspaceKey(config.identity.userId, config.identity.orgId)} />
      ) : (
        <SignInPrompt notice="Sign-in is not configured on this server.">
          <p>Ask the site's administrator to configure Clerk.</p>
        </SignInPrompt>
      )}
    </Layout>
  );
}
