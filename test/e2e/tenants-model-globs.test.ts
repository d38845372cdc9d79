import { describe, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import { createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";

setDefaultTimeout(30_000);

// A model name matched by everyone's glob and by a more specific glob of one tenant's: each caller
// is routed by the most specific entry its own tenant may use. Another tenant's glob neither takes
// the name from it (a 404 that would also map that tenant's private globs) nor routes its calls.

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
    models: [
      { name: "gpt-*", routes: [{ provider: "fake", model: "*" }] },
      { name: "gpt-4o*", tenant: "team-b", routes: [{ provider: "fake", model: "team-b-model" }] },
      { name: "b-only-*", tenant: "team-b", routes: [{ provider: "fake", model: "team-b-model" }] },
    ],
    routing: { retries: 0 },
    tenants: [{ name: "team-b" }, { name: "team-c" }],
  }),
});

/** One chat of `model` through the official SDK (no retries): its status, and the model the upstream was sent. */
async function chat(key: string, model: string): Promise<{ status: number; upstream?: unknown }> {
  const openai = new OpenAI({ apiKey: key, baseURL: fx.url("/v1"), maxRetries: 0 });
  const before = fx.fake.requests.length;
  try {
    await openai.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { status: error.status ?? 0 };
  }
  const sent = fx.fake.requests.slice(before).find((r) => r.path === "/v1/chat/completions");
  return { status: 200, upstream: (sent?.body as { model?: unknown } | undefined)?.model };
}

const keyOf = async (name: string, tenant?: string) =>
  (await createKey(fx.gw, { name, ...(tenant ? { tenant } : {}) })).key;

describe("a name another tenant's more specific glob also matches", () => {
  test("team-c (and a key outside every tenant) is routed by everyone's gpt-*; team-b by its own gpt-4o*; a name only team-b's globs match stays a 404 to others", async () => {
    const [b, c, outside] = await Promise.all([keyOf("b", "team-b"), keyOf("c", "team-c"), keyOf("outside")]);
    for (const model of ["gpt-4o-mini", "gpt-4o", "gpt-4"]) {
      expect(await chat(c, model)).toEqual({ status: 200, upstream: model });
      expect(await chat(outside, model)).toEqual({ status: 200, upstream: model });
    }
    expect(await chat(b, "gpt-4o-mini")).toEqual({ status: 200, upstream: "team-b-model" });
    expect(await chat(b, "gpt-4")).toEqual({ status: 200, upstream: "gpt-4" });
    // What only team-b's entries answer to does not exist for the others.
    expect((await chat(c, "b-only-x")).status).toBe(404);
    expect((await chat(outside, "b-only-x")).status).toBe(404);
    expect(await chat(b, "b-only-x")).toEqual({ status: 200, upstream: "team-b-model" });
    const retrieve = (key: string, id: string) =>
      fetch(fx.url(`/v1/models/${id}`), { headers: { authorization: `Bearer ${key}` } });
    expect((await retrieve(c, "gpt-4o-mini")).status).toBe(200);
    expect((await retrieve(c, "b-only-x")).status).toBe(404);
  });
});
