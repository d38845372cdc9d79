import { expect, test } from "bun:test";
import type { ProviderConfig } from "../config/config-schema.ts";
import type { LogFields } from "../log/logger.ts";
import { heldClocks } from "../testing/stepped-clocks.ts";
import { createProvider } from "./create-provider.ts";
import type { ProviderCall } from "./provider.ts";

const chat: ProviderCall = {
  operation: "chat",
  body: { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
  stream: false,
  requestId: "r1",
  signal: new AbortController().signal,
  timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
};

/**
 * Entra ID's token endpoint, which grants one token for an hour and then answers 503 (and
 * `invalid_grant` once asked `refused` times), beside Azure OpenAI answering every chat with the
 * token it was sent.
 */
function azureWithFailingEntra() {
  let grants = 0;
  const send = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    if (url.host === "login.microsoftonline.com") {
      grants += 1;
      if (grants > 1) return Response.json({ error: "temporarily_unavailable" }, { status: 503 });
      return Response.json({ access_token: "token-1", token_type: "Bearer", expires_in: 3600 });
    }
    const sentWith = new Headers(init?.headers).get("authorization");
    return Response.json({
      id: "c",
      object: "chat.completion",
      model: "gpt-4o",
      choices: [{ index: 0, message: { role: "assistant", content: `${sentWith}` }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  };
  return {
    grants: () => grants,
    fetch: Object.assign(send, { preconnect: () => {} }) as typeof globalThis.fetch,
  };
}

test("an Azure provider whose Entra token refresh fails while the token is valid says so at warn, as OBSERVABILITY.md writes it: the first at once, then at most a line every 30 s; the calls go on with the cached token", async () => {
  // The token's expiry is a wall time, the refresh's backoff and the log's 30 s spans of the monotonic clock.
  const clocks = heldClocks(Date.UTC(2025, 0, 1));
  try {
    const lines: { line: string; fields: LogFields }[] = [];
    const secondLine = Promise.withResolvers<void>();
    const entra = azureWithFailingEntra();
    const config = {
      name: "az",
      type: "azure",
      base_url: "https://r.openai.azure.com",
      api_version: "v1",
      entra: { tenant_id: "contoso", client_id: "app", client_secret: "secret" },
    } as ProviderConfig;
    const provider = createProvider(config, {
      maxSseLine: 1 << 20,
      fetch: entra.fetch,
      warn: (line, fields) => {
        lines.push({ line, fields });
        if (lines.length === 2) secondLine.resolve();
      },
    });
    const answered = async () => {
      const reply = await provider.call(chat);
      if (reply.kind !== "json") throw new Error(`a ${reply.kind} reply`);
      return JSON.stringify(reply.body).includes("Bearer token-1");
    };
    expect(await answered()).toBe(true);
    // Four minutes before the token expires, within its five minutes' margin: the refresh beside
    // the call fails.
    clocks.pass(3_360_000);
    for (const later of [0, 5_000, 30_000]) {
      clocks.pass(later);
      expect(await answered()).toBe(true);
    }
    // The refreshes run beside the calls: the last one's failure may be heard after its call.
    await secondLine.promise;
    expect(entra.grants()).toBe(4);
    expect(lines).toEqual([
      {
        line: "upstream az's credential refresh (the cached one still valid) failed: GatewayError: could not get credentials for upstream az: the token endpoint answered 503: temporarily_unavailable",
        fields: { provider: "az", valid_for_ms: 240_000 },
      },
      {
        line: "upstream az's credential refresh (the cached one still valid) failed (2 times in the last 35 s): GatewayError: could not get credentials for upstream az: the token endpoint answered 503: temporarily_unavailable",
        fields: { provider: "az", valid_for_ms: 205_000 },
      },
    ]);
  } finally {
    clocks.restore();
  }
});

test("a Vertex provider finds its credentials in the context's env, not the process's: the metadata server it names is asked", async () => {
  const asked: string[] = [];
  const google = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const { pathname } = new URL(request.url);
      asked.push(pathname);
      if (pathname.startsWith("/computeMetadata/"))
        return Response.json(
          { access_token: "ya29.context", expires_in: 3599 },
          { headers: { "metadata-flavor": "Google" } },
        );
      return Response.json({
        candidates: [
          {
            content: { role: "model", parts: [{ text: String(request.headers.get("authorization")) }] },
            finishReason: "STOP",
          },
        ],
      });
    },
  });
  try {
    const config = {
      name: "vx",
      type: "vertex",
      project: "acme",
      location: "us-central1",
      base_url: `http://127.0.0.1:${google.port}`,
    } as ProviderConfig;
    const provider = createProvider(config, {
      maxSseLine: 1 << 20,
      env: { GCE_METADATA_HOST: `127.0.0.1:${google.port}`, HOME: "/nonexistent" },
    });
    const reply = await provider.call({ ...chat, body: { ...chat.body, model: "gemini-2.5-flash" } });
    expect(JSON.stringify(reply.kind === "json" ? reply.body : reply.kind)).toContain("Bearer ya29.context");
    expect(asked[0]).toBe("/computeMetadata/v1/instance/service-accounts/default/token");
  } finally {
    google.stop(true);
  }
});
