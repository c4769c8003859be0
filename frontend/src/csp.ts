/**
 * Imported first by main.tsx, so it runs before any other module touches zod.
 *
 * The page runs under `script-src 'self'` without 'unsafe-eval'. zod (which the AI
 * SDK and assistant-ui use to validate stream chunks and tool calls) probes
 * `new Function("")` once to decide whether to compile its parsers; the probe's
 * exception is swallowed, but the browser still reports a Content-Security-Policy
 * violation for it on every page load. `jitless` skips the probe and the compiled
 * fast path; parsing works the same.
 */
import { config } from "zod/v4/core";

config({ jitless: true });
