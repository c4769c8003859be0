// Sends one chat request exactly as the browser's AI SDK client does and reports what it assembled.
//
// stdin:  {"url", "headers", "chatId", "messages", "trigger", "messageId", "body"}
// stdout: one JSON line {"ok", "error"?, "message", "chunks", "requestBody", "status", "responseHeaders"}
// Exit code 0 whenever the request was made (even if it failed); 1 only for a bug in this harness.
import { DefaultChatTransport, readUIMessageStream } from 'ai';

const readStdin = async () => {
  let text = '';
  for await (const piece of process.stdin) text += piece;
  return JSON.parse(text);
};

const describe = (error) => `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`;

const main = async () => {
  const input = await readStdin();
  const result = { ok: true, message: null, chunks: [], requestBody: null, status: null, responseHeaders: null };
  // The first error wins: it is the one the browser's useChat would surface.
  let firstError = null;
  const fail = (error) => {
    firstError ??= error;
  };

  const captureFetch = async (url, init) => {
    result.requestBody = JSON.parse(init.body);
    const response = await fetch(url, init);
    result.status = response.status;
    result.responseHeaders = Object.fromEntries(response.headers.entries());
    return response;
  };

  const transport = new DefaultChatTransport({ api: input.url, headers: input.headers ?? {}, fetch: captureFetch });

  try {
    const stream = await transport.sendMessages({
      chatId: input.chatId,
      messages: input.messages,
      trigger: input.trigger ?? 'submit-message',
      // The browser passes undefined (dropped from the JSON body), never null.
      messageId: input.messageId ?? undefined,
      body: input.body ?? undefined,
      abortSignal: undefined,
    });
    // One branch builds the message, the other records every chunk, including any after an error.
    const [forMessage, forLog] = stream.tee();
    const logging = (async () => {
      for await (const chunk of forLog) result.chunks.push(chunk);
    })().catch(fail);
    // terminateOnError mirrors useChat, which stops reading at the first error chunk or invalid chunk.
    const messages = readUIMessageStream({ stream: forMessage, onError: fail, terminateOnError: true });
    try {
      for await (const message of messages) result.message = message;
    } catch (error) {
      fail(error);
    }
    await logging;
  } catch (error) {
    fail(error);
  }

  if (firstError !== null) {
    result.ok = false;
    result.error = describe(firstError);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
};

main().catch((error) => {
  process.stderr.write(`ai_sdk_client harness failure: ${error?.stack ?? error}\n`);
  process.exit(1);
});
