import { afterAll, beforeAll, expect, test } from "bun:test";
import { type AuditRecord, type Authenticator, type Gateway, type Principal, silentLogger } from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { oneMockModel } from "./testing/one-mock-model.ts";
import { callAs, recordingGateway, recordOf } from "./testing/recording-gateway.ts";

// An embedder's authenticator that fails in the ways a plug-in can, told by the bearer token: it
// throws before returning a promise, rejects with no Error, or resolves with no principal or a
// broken one. Each caller is refused in its own dialect (401, or 500 for a principal the gateway
// cannot read), with its request id and audit row, and the gateway serves the next caller.

const fails: Record<string, () => Promise<Principal>> = {
  "throws-at-once": () => {
    throw new Error("the plug-in broke before its promise");
  },
  "rejects-nothing": () => Promise.reject(undefined),
  "resolves-nothing": () => Promise.resolve(undefined as unknown as Principal),
  "resolves-garbage": () => Promise.resolve({ name: 7 } as unknown as Principal),
  // What an authenticator that copies a token's claims unchecked returns when the claim is absent.
  "admin-of-no-tenant": () =>
    Promise.resolve({ ...jwtCaller, role: "admin", tenant: null } as unknown as Principal),
  "models-as-text": () => Promise.resolve({ ...jwtCaller, models: "gpt-*" } as unknown as Principal),
};

const auth: Authenticator = (headers) => {
  const token = headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
  return fails[token]?.() ?? Promise.resolve(jwtCaller);
};

let gateway: Gateway;
let finished: AuditRecord[];
beforeAll(async () => {
  ({ gateway, finished } = await recordingGateway(oneMockModel(), silentLogger, { auth }));
});
afterAll(() => gateway.stop());

const ask = (path: string, token: string, body: object) => callAs(gateway, token, "POST", path, body);
const rowOf = (response: Response) => recordOf(finished, response);

const what: Record<string, string> = {
  "throws-at-once": "throws before returning its promise",
  "rejects-nothing": "rejects with no Error",
  "resolves-nothing": "resolves with no principal",
  "resolves-garbage": "resolves with a principal of the wrong shape",
  "admin-of-no-tenant": "resolves an admin whose tenant is null",
  "models-as-text": "resolves a principal whose models are one text, not a list",
};
for (const token of Object.keys(fails))
  test(`an authenticator that ${what[token]}: a refusal in each caller's dialect with its row, and the gateway serves on`, async () => {
    const openai = await ask("/v1/chat/completions", token, {
      model: "mock",
      messages: [{ role: "user", content: "hi" }],
    });
    expect([401, 500]).toContain(openai.status);
    const openaiBody = (await openai.json()) as { error?: { message?: unknown } };
    expect(typeof openaiBody.error?.message).toBe("string");
    expect((await rowOf(openai)).status).toBe(openai.status);

    const anthropic = await ask("/v1/messages", token, {
      model: "mock",
      max_tokens: 8,
      messages: [{ role: "user", content: "hi" }],
    });
    expect([401, 500]).toContain(anthropic.status);
    const anthropicBody = (await anthropic.json()) as { type?: unknown; error?: { message?: unknown } };
    expect(anthropicBody.type).toBe("error");
    expect((await rowOf(anthropic)).status).toBe(anthropic.status);

    const served = await ask("/v1/chat/completions", "good", {
      model: "mock",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(served.status).toBe(200);
  });

test("a principal of the wrong shape is refused wherever it is read, never taken for more: an admin of a null tenant reads no gateway-wide figure, nor one tenant's", async () => {
  for (const path of ["/metrics", "/admin/api/status", "/admin/api/keys", "/admin/api/audit"]) {
    const response = await gateway.handle(
      new Request(`http://gw${path}`, { headers: { authorization: "Bearer admin-of-no-tenant" } }),
    );
    expect({ path, status: response.status }).toEqual({ path, status: 500 });
    expect((await rowOf(response)).status).toBe(500);
  }
});
