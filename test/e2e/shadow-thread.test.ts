import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import type { ShadowPage, ShadowRecord } from "../../src/shadow/shadow-api-schema.ts";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// The compiled binary with `MINDGW_SHADOW_THREAD=1`: copies leave from the shadow thread (a
// Worker bundled as an entry of its own), and pairs read as they do from the event loop
// (shadow*.test.ts): both answers, usage, a stream consumed as a stream, a hanging copy cut off
// by its own timeout while the client is answered at once, a tenant's shadow priced as the event
// loop prices it.

const SHADOW_TIMEOUT_MS = 8_000;

let fake: FakeUpstream;
let gw: GatewayProcess;
const dir = tempDir();

const fx = gatewayFixture({
  dir: dir.path,
  fakeRoutes: false,
  env: { MINDGW_SHADOW_THREAD: "1" },
  config: (_fakeUrl, { fake }) => ({
    providers: [
      { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
      { name: "twin", type: "openai", base_url: `${fake.url}/v1`, api_key: "sk-twin" },
      { name: "hanger", type: "openai", base_url: `${fake.url}/v1`, headers: { "x-fake-hang": "1" } },
      // Where only a tenant's shadow goes: no model shadows to it.
      { name: "twin-acme", type: "openai", base_url: `${fake.url}/v1` },
    ],
    models: [
      {
        name: "same",
        routes: [{ provider: "fake", model: "m1" }],
        shadow: { provider: "twin", model: "m1-candidate", sample: 1 },
      },
      {
        name: "hangs",
        routes: [{ provider: "fake", model: "m1" }],
        shadow: { provider: "hanger", model: "m1", sample: 1 },
      },
    ],
    // acme's requests are shadowed to a model the price catalogue prices, in place of the model's shadow.
    tenants: [{ name: "acme", shadow: { provider: "twin-acme", model: "gpt-4o-mini", sample: 1 } }],
    routing: { retries: 0 },
    audit: { bodies: true },
    shadow: { timeout: `${SHADOW_TIMEOUT_MS}ms` },
  }),
});

beforeAll(async () => {
  ({ fake, gw } = fx);
}, 30_000);

const client = (key = gw.adminKey ?? "") =>
  new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });

const pairOf = (requestId: string) =>
  waitFor(
    `the shadow pair of ${requestId}`,
    async () => {
      const res = await fetch(`${gw.url}/admin/api/shadow?limit=500`, { headers: bearer(gw.adminKey ?? "") });
      const page = (await res.json()) as ShadowPage;
      return page.records.find((r) => r.requestId === requestId);
    },
    20_000,
    50,
  );

test("non-stream and stream copies through the shadow thread are recorded as from the event loop", async () => {
  const { response } = await client()
    .chat.completions.create({ model: "same", messages: [{ role: "user", content: "the sky is blue" }] })
    .withResponse();
  const whole: ShadowRecord = await pairOf(response.headers.get("x-request-id") ?? "");
  expect(whole.shadow).toMatchObject({
    route: "provider:twin",
    upstreamModel: "m1-candidate",
    status: 200,
    answer: "echo: the sky is blue",
    ttftMs: null,
  });
  expect(whole.shadow.inputTokens).toBeGreaterThan(0);
  expect(whole.shadow.outputTokens).toBeGreaterThan(0);
  expect(whole.agreement).toMatchObject({ exact: true, similarity: 1 });
  // The copy left with the provider's own credentials and the shadow's request id.
  const sent = fake.requests.find(
    (r) => (r.body as { model?: string } | undefined)?.model === "m1-candidate",
  );
  expect(sent?.headers.authorization).toBe("Bearer sk-twin");
  expect(sent?.headers["x-request-id"]).toBe(`${response.headers.get("x-request-id")}-shadow`);

  const { data: stream, response: streamed } = await client()
    .chat.completions.create({
      model: "same",
      messages: [{ role: "user", content: "one two three four" }],
      stream: true,
    })
    .withResponse();
  for await (const _ of stream) {
    // consumed
  }
  const pair = await pairOf(streamed.headers.get("x-request-id") ?? "");
  expect(pair.stream).toBe(true);
  expect(pair.shadow.status).toBe(200);
  expect(pair.shadow.ttftMs).not.toBeNull();
  expect(pair.shadow.answer).toBe("echo: one two three four");
  expect(pair.shadow.outputTokens).toBeGreaterThan(0);
});

test("a copy that hangs in the thread is cut off by its own timeout; the client is answered at once", async () => {
  const { data, response } = await client()
    .chat.completions.create({ model: "hangs", messages: [{ role: "user", content: "hello" }] })
    .withResponse();
  expect(data.choices[0]?.message.content).toBe("echo: hello");
  const requestId = response.headers.get("x-request-id") ?? "";
  // Answered while the copy still hangs: its pair is not recorded yet.
  const res = await fetch(`${gw.url}/admin/api/shadow?limit=500`, { headers: bearer(gw.adminKey ?? "") });
  expect(((await res.json()) as ShadowPage).records.some((r) => r.requestId === requestId)).toBe(false);
  const pair = await pairOf(requestId);
  expect(pair.primary.status).toBe(200);
  expect(pair.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout", answer: null });
});

test("a tenant's shadow, in place of the model's, is priced by its own route in the thread", async () => {
  const acme = (await createKey(gw, { name: "acme-key", tenant: "acme" })).key;
  const { response } = await client(acme)
    .chat.completions.create({ model: "same", messages: [{ role: "user", content: "the sea is wide" }] })
    .withResponse();
  const pair = await pairOf(response.headers.get("x-request-id") ?? "");
  expect(pair.shadow).toMatchObject({
    route: "provider:twin-acme",
    upstreamModel: "gpt-4o-mini",
    status: 200,
  });
  expect(pair.shadow.inputTokens).toBeGreaterThan(0);
  // gpt-4o-mini on OpenAI, at the catalogue's prices.
  expect(pair.shadow.costUsd).toBeGreaterThan(0);
});
