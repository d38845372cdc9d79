// The other servers the error-fidelity tests route to (test/e2e/error-fidelity*.test.ts, through
// errorFidelityFixture): a proxy's page, a key quoter, a llama.cpp from before 2025.

/**
 * What a proxy in front of a provider answers when the provider is down: a 503 with an HTML page,
 * or with no body at all (upstream model `empty`), and a Retry-After.
 */
export function proxyPage() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      const page = "<html><head><title>503 Service Unavailable</title></head><body>nginx</body></html>";
      return new Response(model === "empty" ? null : page, {
        status: 503,
        headers: { "content-type": "text/html", "retry-after": "9" },
      });
    },
  });
}

/**
 * An upstream that quotes the credential it was sent in its refusal, as some servers do ("Invalid
 * request for key …"): the bearer token, or an `api-key` header's. A 500 for an upstream model
 * ending in `-500`, else a 400; OpenAI's error shape.
 */
export function keyQuoter() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      // A worker asks whether it serves the Responses API: it does not.
      if (!new URL(request.url).pathname.endsWith("/chat/completions"))
        return new Response(null, { status: 404 });
      const { model } = (await request.json()) as { model: string };
      const sent =
        request.headers.get("api-key") ?? request.headers.get("authorization")?.replace(/^Bearer /, "");
      const message = `Invalid request for key ${sent}`;
      const error = { message, type: "invalid_request_error", param: null, code: null };
      return Response.json({ error }, { status: model.endsWith("-500") ? 500 : 400 });
    },
  });
}

/**
 * A llama.cpp server from before 2025, which reports a stream's failure in an SSE field of its own,
 * `error: {…}`, then ends it with `data: [DONE]` (its server.cpp's `format_sse` of an error): after
 * a first chunk for upstream model `mid`, as the stream's first event for `first`.
 */
export function llamaCppBefore2025() {
  const failure = { code: 500, message: "llama_decode failed: out of KV cache", type: "server_error" };
  const chunk = `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "partial answer " }, finish_reason: null }] })}\n\n`;
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      const failed = `error: ${JSON.stringify(failure)}\n\ndata: [DONE]\n\n`;
      return new Response(model === "mid" ? `${chunk}${failed}` : failed, {
        headers: { "content-type": "text/event-stream" },
      });
    },
  });
}

/** The gateway's own upstream credentials (keyQuoter's providers): one of no known shape, a header's, Groq's. */
export const UPSTREAM_KEYS = {
  plain: "plainUpstreamToken_9f8e7d6c5b4a",
  header: "azureStyleKey0123456789abcdef0123",
  groq: "gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
  worker: "workerUpstreamKey_77aa88bb99cc",
};
