import { afterAll, expect, test } from "bun:test";
import { CachedCredential } from "../credentials/cached-credential.ts";
import { bearerAuth } from "../credentials/call-auth.ts";
import { createOpenAICompatibleProvider } from "./openai-compatible-provider.ts";

/** An OpenAI-style upstream that revoked token-1: only a later token reads its stored response. */
const seen: string[] = [];
const upstream = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    const auth = request.headers.get("authorization") ?? "";
    seen.push(`${request.method} ${new URL(request.url).pathname} ${auth}`);
    if (auth === "Bearer token-1")
      return Response.json(
        { error: { message: "token revoked", type: "invalid_request_error" } },
        { status: 401 },
      );
    return Response.json({ id: "resp_1", object: "response", output: [] });
  },
});
afterAll(() => upstream.stop(true));

test("a stored response's GET or DELETE refused for its token (401) is sent once more with a fresh one, as a model call is", async () => {
  let issued = 0;
  let now = 0;
  const tokens = new CachedCredential({
    now: () => now,
    fetch: async () => ({ value: `token-${++issued}`, expiresAt: now + 3_600_000 }),
  });
  // token-1 is refused a minute after it arrived (a fresher one would be kept: cached-credential.ts).
  await tokens.get();
  now = 60_000;
  const provider = createOpenAICompatibleProvider({
    name: "azure",
    baseUrl: `http://127.0.0.1:${upstream.port}/v1`,
    auth: bearerAuth(tokens),
  });
  const forward = (method: "GET" | "DELETE") =>
    provider.forward?.({
      method,
      path: "/responses/resp_1",
      query: "",
      headers: {},
      requestId: "req_1",
      signal: new AbortController().signal,
    });
  const read = await forward("GET");
  expect(read?.status).toBe(200);
  expect(await read?.json()).toMatchObject({ id: "resp_1" });
  expect((await forward("DELETE"))?.status).toBe(200);
  expect(seen).toEqual([
    "GET /v1/responses/resp_1 Bearer token-1",
    "GET /v1/responses/resp_1 Bearer token-2",
    "DELETE /v1/responses/resp_1 Bearer token-2",
  ]);
});
