import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { SignJWT } from "jose";
import OpenAI from "openai";
import type { ShadowPage, ShadowRecord } from "../../src/shadow/shadow-api-schema.ts";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// Shadow copies through the compiled binary: each sampled request is mirrored off the client's
// path, both answers are recorded with their agreement, streams are shadowed as streams, a
// shadow that hangs costs the client nothing and is shed at the cap.

const SHADOW_TIMEOUT_MS = 8_000;
const JWT = {
  secret: "a-shared-secret-for-the-shadow-tests-0123456",
  issuer: "https://idp.test",
  audience: "mindgw",
};
const token = (claims: Record<string, string>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(JWT.issuer)
    .setAudience(JWT.audience)
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(JWT.secret));
const CAP = 2;

let fake: FakeUpstream;
let gw: GatewayProcess;
let admin = "";
const dir = tempDir();

const fx = gatewayFixture({
  dir: dir.path,
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    providers: [
      { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
      { name: "twin", type: "openai", base_url: `${fake.url}/v1` },
      // team-b's own upstream account, used only for team-b's shadow.
      { name: "twin-b", type: "openai", base_url: `${fake.url}/v1`, tenant: "team-b" },
      // Every call to this provider hangs: no headers, no body, until the caller gives up.
      { name: "hanger", type: "openai", base_url: `${fake.url}/v1`, headers: { "x-fake-hang": "1" } },
      // Twins whose streams end cleanly without their end marker, or in an error event of their own.
      { name: "twin-cut", type: "openai", base_url: `${fake.url}/v1`, headers: { "x-fake-stop-after": "2" } },
      {
        name: "twin-errev",
        type: "openai",
        base_url: `${fake.url}/v1`,
        headers: { "x-fake-stream-error": "2" },
      },
      // A twin that answers otherwise (its text padded to eight pieces), and later than the primary.
      {
        name: "twin-other",
        type: "openai",
        base_url: `${fake.url}/v1`,
        headers: { "x-fake-chunks": "8", "x-fake-delay": "300" },
      },
      { name: "claude", type: "anthropic", base_url: fake.url },
      { name: "mocked", type: "mock" },
      { name: "claude-cut", type: "anthropic", base_url: fake.url, headers: { "x-fake-stop-after": "2" } },
      {
        name: "claude-errev",
        type: "anthropic",
        base_url: fake.url,
        headers: { "x-fake-stream-error": "2" },
      },
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
      { name: "plain", routes: [{ provider: "fake", model: "m1" }] },
      {
        name: "answers-other",
        routes: [{ provider: "fake", model: "m1" }],
        shadow: { provider: "twin-other", model: "m1", sample: 1 },
      },
      // One test's own: its figures are that test's pairs alone, whichever tests ran before it.
      {
        name: "tallied",
        routes: [{ provider: "fake", model: "m1" }],
        shadow: { provider: "twin", model: "m1", sample: 1 },
      },
      // Embeddings: the same vectors from a twin, others from the mock.
      {
        name: "emb-same",
        routes: [{ provider: "fake", model: "e1" }],
        shadow: { provider: "twin", model: "e1", sample: 1 },
      },
      {
        name: "emb-other",
        routes: [{ provider: "fake", model: "e1" }],
        shadow: { provider: "mocked", model: "mock-emb", sample: 1 },
      },
      // count_tokens is no model's answer: an OpenAI-shaped shadow could not even serve it.
      {
        name: "counted",
        routes: [{ provider: "claude", model: "m1" }],
        shadow: { provider: "twin", model: "m1-candidate", sample: 1 },
      },
      ...[
        ["cut", "fake", "twin-cut"],
        ["errev", "fake", "twin-errev"],
        ["a-cut", "claude", "claude-cut"],
        ["a-errev", "claude", "claude-errev"],
        // Both sides sent to an upstream that fails mid-stream in the same way.
        ["errev-both", "twin-errev", "twin-errev"],
        ["a-errev-both", "claude-errev", "claude-errev"],
      ].map(([name, primary, twin]) => ({
        name,
        routes: [{ provider: primary, model: "m1" }],
        shadow: { provider: twin, model: "m1", sample: 1 },
      })),
    ],
    routing: { retries: 0 },
    // Only the copies to twin's candidate are priced ($1 a token): their spend is the shadow's own.
    prices: { "m1-candidate": { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 } },
    audit: { bodies: true },
    tenants: [
      { name: "team-a" },
      { name: "team-b", shadow: { provider: "twin-b", model: "b-candidate", sample: 1 } },
    ],
    shadow: { max_concurrent: CAP, timeout: `${SHADOW_TIMEOUT_MS}ms` },
    auth: { jwt: { ...JWT, algorithms: ["HS256"], claims: { name: "sub", tenant: "tenant" } } },
  }),
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  admin = gw.adminKey ?? "";
}, 30_000);

async function shadowPage(query: Record<string, string> = {}, key = admin): Promise<ShadowPage> {
  const res = await fetch(`${gw.url}/admin/api/shadow?${new URLSearchParams(query)}`, {
    headers: bearer(key),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ShadowPage;
}

const pairOf = (requestId: string) =>
  waitFor(
    `the shadow pair of ${requestId}`,
    async () => (await shadowPage({ limit: "500" })).records.find((r) => r.requestId === requestId),
    20_000,
    50,
  );

/** The shadow families on /metrics: shed, in flight, copies over by provider and outcome, and their spend. */
async function shadowMetrics() {
  const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
  const samples = parsePrometheus(await res.text());
  return {
    shed: sampleValue(samples, "mindgw_shadow_shed_total", {}) ?? -1,
    inFlight: sampleValue(samples, "mindgw_shadow_copies_in_flight", {}) ?? -1,
    copies: (provider: string, outcome: string) =>
      sampleValue(samples, "mindgw_shadow_copies_total", { provider, outcome }) ?? 0,
    spent: (model: string) => sampleValue(samples, "mindgw_shadow_cost_usd_total", { model }) ?? 0,
    requestsSpent: (model: string) => sampleValue(samples, "mindgw_cost_usd_total", { model }) ?? 0,
  };
}

const client = (key = admin) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });

describe("pairs are recorded and compared", () => {
  test("non-stream: both sides, tokens, answers and agreement", async () => {
    const { data, response } = await client()
      .chat.completions.create({ model: "same", messages: [{ role: "user", content: "the sky is blue" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("echo: the sky is blue");
    const pair: ShadowRecord = await pairOf(response.headers.get("x-request-id") ?? "");
    expect(pair.model).toBe("same");
    expect(pair.stream).toBe(false);
    expect(pair.primary).toMatchObject({
      route: "provider:fake",
      status: 200,
      answer: "echo: the sky is blue",
    });
    expect(pair.shadow).toMatchObject({
      route: "provider:twin",
      upstreamModel: "m1-candidate",
      status: 200,
      answer: "echo: the sky is blue",
    });
    expect(pair.shadow.inputTokens).toBeGreaterThan(0);
    expect(pair.shadow.outputTokens).toBeGreaterThan(0);
    expect(pair.agreement).toEqual({
      exact: true,
      similarity: 1,
      primaryJsonValid: null,
      shadowJsonValid: null,
      toolsAgree: null,
      finishAgrees: true,
    });
    expect([pair.primary.finish, pair.shadow.finish]).toEqual(["stop", "stop"]);
  });

  test("/metrics counts each copy once it is over, by the shadow's provider and outcome", async () => {
    const before = await shadowMetrics();
    const okBefore = before.copies("twin", "ok");
    let copiesCost = 0;
    for (const content of ["one", "two", "three"]) {
      const { response } = await client()
        .chat.completions.create({ model: "same", messages: [{ role: "user", content }] })
        .withResponse();
      copiesCost += (await pairOf(response.headers.get("x-request-id") ?? "")).shadow.costUsd;
    }
    const after = await waitFor("the three copies counted", async () => {
      const now = await shadowMetrics();
      return now.copies("twin", "ok") === okBefore + 3 && now.inFlight === 0 ? now : undefined;
    });
    // What the copies cost, as their pairs priced them, by the model asked for; in no other family.
    expect(copiesCost).toBeGreaterThan(0);
    expect(after.spent("same") - before.spent("same")).toBeCloseTo(copiesCost, 9);
    expect(after.requestsSpent("same")).toBe(before.requestsSpent("same"));
    // No other provider or outcome moved; nothing was shed.
    expect(after.copies("twin", "upstream_error")).toBe(before.copies("twin", "upstream_error"));
    expect(after.copies("hanger", "upstream_timeout")).toBe(before.copies("hanger", "upstream_timeout"));
    expect(after.shed).toBe(before.shed);
    // The admin API serves the same counts, and the table through a gateway prints them.
    const { counts } = await shadowPage();
    expect(counts).toMatchObject({ shed: after.shed, inFlight: 0 });
    expect(counts?.ended).toContainEqual({ provider: "twin", outcome: "ok", count: okBefore + 3 });
    for (const c of counts?.ended ?? []) expect(c.count).toBe(after.copies(c.provider, c.outcome));
    for (const s of counts?.spent ?? []) expect(s.usd).toBeCloseTo(after.spent(s.model), 9);
    expect(counts?.spent.map((s) => s.model)).toContain("same");
    const report = await runMindgw(["shadow", "report", "--gateway", gw.url, "--admin-key", admin]);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(
      `copies on this node since it started: 0 in flight, ${after.shed} shed; over: `,
    );
    expect(report.stdout).toContain(`twin ok ${okBefore + 3}`);
  });

  test("stream: the shadow consumes its own stream; time to first token on both sides", async () => {
    const { data: stream, response } = await client()
      .chat.completions.create({
        model: "same",
        messages: [{ role: "user", content: "one two three four" }],
        stream: true,
      })
      .withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("echo: one two three four");
    const requestId = response.headers.get("x-request-id") ?? "";
    const pair = await pairOf(requestId);
    expect(pair.stream).toBe(true);
    expect(pair.primary.ttftMs).not.toBeNull();
    expect(pair.shadow.ttftMs).not.toBeNull();
    expect(pair.shadow.answer).toBe("echo: one two three four");
    expect(pair.agreement.exact).toBe(true);
    // The shadow asked its own upstream for a stream, under the shadow's model name.
    const shadowCall = fake.requests.find(
      (r) =>
        (r.body as { model?: string } | undefined)?.model === "m1-candidate" &&
        (r.body as { stream?: boolean }).stream === true,
    );
    expect(shadowCall).toBeDefined();
  });

  test("tool calls and structured output are compared", async () => {
    const { response } = await client()
      .chat.completions.create({
        model: "same",
        messages: [{ role: "user", content: "weather?" }],
        tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
      })
      .withResponse();
    const tools = await pairOf(response.headers.get("x-request-id") ?? "");
    expect(tools.agreement.toolsAgree).toBe(true);
    const structured = await client()
      .chat.completions.create({
        model: "same",
        messages: [{ role: "user", content: "json please" }],
        response_format: { type: "json_object" },
      })
      .withResponse();
    const json = await pairOf(structured.response.headers.get("x-request-id") ?? "");
    // The fake echoes text, which is not JSON: both sides are measured, and agree on it.
    expect(json.agreement.primaryJsonValid).toBe(false);
    expect(json.agreement.shadowJsonValid).toBe(false);
    // With a schema the fake fills it in (its strings are the echo): checked in full, in the binary.
    const schemaCall = async (name: object, draft?: string) => {
      const { response } = await client()
        .chat.completions.create({
          model: "same",
          messages: [{ role: "user", content: "order please" }],
          response_format: {
            type: "json_schema",
            json_schema: {
              name: "order",
              schema: {
                ...(draft ? { $schema: draft } : {}),
                type: "object",
                required: ["customer", "items"],
                properties: {
                  customer: { type: "object", required: ["name"], properties: { name } },
                  items: {
                    type: "array",
                    items: { type: "object", properties: { qty: { type: "integer" } } },
                  },
                },
              },
            },
          },
        })
        .withResponse();
      return (await pairOf(response.headers.get("x-request-id") ?? "")).agreement;
    };
    const fits = await schemaCall({ type: "string" });
    expect([fits.primaryJsonValid, fits.shadowJsonValid]).toEqual([true, true]);
    // Every top-level key is there; only customer.name, longer than the schema allows, fails it.
    const deep = await schemaCall({ type: "string", maxLength: 3 });
    expect([deep.primaryJsonValid, deep.shadowJsonValid]).toEqual([false, false]);
    // A draft-07 schema (the OpenAI SDK's zodResponseFormat writes one) is judged under its draft.
    const draft07 = await schemaCall(
      { type: "string", maxLength: 3 },
      "http://json-schema.org/draft-07/schema#",
    );
    expect([draft07.primaryJsonValid, draft07.shadowJsonValid]).toEqual([false, false]);
  });

  test("aggregates per model, filters, and a tenant member sees only its own tenant's pairs", async () => {
    const a = (await createKey(gw, { name: "shadow-a", tenant: "team-a" })).key;
    const b = (await createKey(gw, { name: "shadow-b", tenant: "team-b" })).key;
    // Three pairs of a model no other test asks for: team-a's, team-b's and the admin's, each
    // recorded before the next is asked (more copies in flight than the cap would be shed).
    const ids: string[] = [];
    for (const [key, content] of [
      [a, "a"],
      [b, "b"],
      [admin, "c"],
    ] as const) {
      const { response } = await client(key)
        .chat.completions.create({ model: "tallied", messages: [{ role: "user", content }] })
        .withResponse();
      ids.push((await pairOf(response.headers.get("x-request-id") ?? "")).requestId);
    }
    const sorted = (records: readonly ShadowRecord[]) => records.map((r) => r.requestId).sort();
    const all = await shadowPage({ model: "tallied" });
    expect(sorted(all.records)).toEqual([...ids].sort());
    expect(all.aggregates.map((agg) => [agg.model, agg.pairs, agg.exactRate])).toEqual([["tallied", 3, 1]]);
    const member = await shadowPage({ model: "tallied" }, a);
    expect(member.records.map((r) => r.requestId)).toEqual([ids[0] ?? ""]);
    // Asking for another tenant's pairs is refused, never answered with its own.
    const other = await fetch(`${gw.url}/admin/api/shadow?tenant=team-b&model=tallied`, {
      headers: bearer(a),
    });
    expect(other.status).toBe(403);
    await other.arrayBuffer();
    expect(member.aggregates.map((agg) => agg.pairs)).toEqual([1]);
    // The node's copy counts are every tenant's: an admin's to read, not a member's.
    expect(member.counts).toBeNull();
    expect(all.counts?.ended.length).toBeGreaterThan(0);
    // Two pages of two: the three pairs, each once, and no page after.
    const paged = await shadowPage({ model: "tallied", limit: "2" });
    expect(paged.records).toHaveLength(2);
    const next = await shadowPage({ model: "tallied", limit: "2", cursor: paged.nextCursor ?? "" });
    expect(sorted([...paged.records, ...next.records])).toEqual([...ids].sort());
    expect(next.nextCursor).toBeNull();
  });

  test("a pair names its caller by id beside its name: a key and two JWT subjects of one name told apart, and filtered by it", async () => {
    const key = await createKey(gw, { name: "alice-sh", tenant: "team-a" });
    const callers = [
      key.key,
      await token({ sub: "alice-sh", tenant: "team-a" }),
      await token({ sub: "alice-sh" }),
    ];
    const pairs: ShadowRecord[] = [];
    for (const caller of callers) {
      const { response } = await client(caller)
        .chat.completions.create({ model: "same", messages: [{ role: "user", content: "who" }] })
        .withResponse();
      pairs.push(await pairOf(response.headers.get("x-request-id") ?? ""));
    }
    expect(pairs.map((p) => [p.keyId, p.keyName])).toEqual([
      [key.id, "alice-sh"],
      ["jwt:team-a:alice-sh", "alice-sh"],
      ["jwt:default:alice-sh", "alice-sh"],
    ]);
    // key_id: that caller's pairs alone, and its figures; the name is no id.
    for (const pair of pairs) {
      const one = await shadowPage({ key_id: pair.keyId ?? "" });
      expect(one.records.map((r) => r.id)).toEqual([pair.id]);
      expect(one.aggregates.map((agg) => [agg.model, agg.pairs])).toEqual([["same", 1]]);
    }
    expect((await shadowPage({ key_id: "alice-sh" })).records).toEqual([]);
  });
});

describe("requests that share a request id (the caller's x-request-id: anyone's to choose)", () => {
  /** A chat call with its own `x-request-id`, its prompt `content`; resolves with its status. */
  const call = async (key: string, model: string, id: string, content: string, stream = false) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-request-id": id },
      body: JSON.stringify({ model, stream, messages: [{ role: "user", content }] }),
    });
    await res.arrayBuffer();
    expect(res.headers.get("x-request-id")).toBe(id);
    return res.status;
  };
  /** What the fake was sent as `model`, by prompt. */
  const promptsTo = (model: string) =>
    fake.requests
      .filter((r) => (r.body as { model?: string } | undefined)?.model === model)
      .map((r) => (r.body as { messages: { content: string }[] }).messages[0]?.content);
  const inAtUpstream = (content: string) =>
    waitFor(`"${content}" at the upstream`, () => promptsTo("m1").some((sent) => sent?.startsWith(content)));
  const pairsOf = (requestId: string, count: number) =>
    waitFor(`${count} shadow pairs of ${requestId}`, async () => {
      const pairs = (await shadowPage({ limit: "500" })).records.filter((r) => r.requestId === requestId);
      return pairs.length >= count ? pairs : undefined;
    });

  test("another tenant's call under one's id never takes one's tenant's shadow, nor leaves one's call without it", async () => {
    const bob = (await createKey(gw, { name: "dup-b", tenant: "team-b" })).key;
    const alice = (await createKey(gw, { name: "dup-a", tenant: "team-a" })).key;
    // team-b's call, shadowed to team-b's own twin, still waits for its answer when team-a's
    // caller sends one under the same id (team-a has no shadow, nor has the model).
    const slow = call(bob, "plain", "dup-tenants", "bob's confidential text [[fake:delay=400]]");
    await inAtUpstream("bob's confidential text");
    expect(await call(alice, "plain", "dup-tenants", "alice's secret plan")).toBe(200);
    expect(await slow).toBe(200);
    const [pair] = await pairsOf("dup-tenants", 1);
    expect([pair?.tenant, pair?.keyName, pair?.shadow.route]).toEqual(["team-b", "dup-b", "provider:twin-b"]);
    // team-b's twin got team-b's prompt, never team-a's.
    expect(promptsTo("b-candidate")).toContain("bob's confidential text [[fake:delay=400]]");
    expect(promptsTo("b-candidate")).not.toContain("alice's secret plan");
  });

  test("calls fanned out under one id are each mirrored and paired with their own record", async () => {
    // Two streams under one id, both answering at once: the first's is still streaming (a chunk
    // every 150 ms) when the second is sent, answered and ended.
    const first = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(admin), "x-request-id": "dup-fanout" },
      body: JSON.stringify({
        model: "same",
        stream: true,
        messages: [{ role: "user", content: "first prompt [[fake:chunk-delay=150]]" }],
      }),
    });
    expect(first.status).toBe(200);
    expect(await call(admin, "same", "dup-fanout", "second prompt", true)).toBe(200);
    await first.arrayBuffer();
    const pairs = await pairsOf("dup-fanout", 2);
    expect(pairs.map((p) => p.primary.answer).sort()).toEqual(["echo: first prompt", "echo: second prompt"]);
    for (const pair of pairs) expect(pair.shadow.answer).toBe(pair.primary.answer);
  });
});

describe("embeddings and token counts", () => {
  test("embeddings are compared as vectors, the SDK's base64 decoded: the same ones exact, others by cosine", async () => {
    const embed = async (model: string) => {
      // The SDK asks for base64 unless told otherwise.
      const { response } = await client()
        .embeddings.create({ model, input: ["the sky is blue", "grass is green"] })
        .withResponse();
      return pairOf(response.headers.get("x-request-id") ?? "");
    };
    const same = await embed("emb-same");
    expect(same.agreement).toEqual({
      exact: true,
      similarity: 1,
      primaryJsonValid: null,
      shadowJsonValid: null,
      toolsAgree: null,
      finishAgrees: null,
    });
    expect([same.primary.answer, same.shadow.answer]).toEqual([
      "2 vectors of 8 dimensions",
      "2 vectors of 8 dimensions",
    ]);
    // The mock's vectors are other numbers of the same length: not exact, not the same direction.
    const other = await embed("emb-other");
    expect(other.shadow).toMatchObject({ status: 200, upstreamModel: "mock-emb" });
    expect(other.agreement.exact).toBe(false);
    expect(other.agreement.similarity).toBeGreaterThanOrEqual(0);
    expect(other.agreement.similarity).toBeLessThan(0.9);
    const rates = (await shadowPage()).aggregates;
    expect(rates.find((agg) => agg.model === "emb-other")?.exactRate).toBe(0);
    expect(rates.find((agg) => agg.model === "emb-same")?.exactRate).toBe(1);
  });

  test("count_tokens is never copied to the shadow route; the model's messages are", async () => {
    const before = await shadowMetrics();
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: admin, maxRetries: 0 });
    const ask = { model: "counted", messages: [{ role: "user" as const, content: "count me" }] };
    const counted = await anthropic.messages.countTokens(ask).withResponse();
    expect(counted.data.input_tokens).toBeGreaterThan(0);
    // A message after it is copied: once its pair is in, a copy of the count would be too.
    const message = await anthropic.messages.create({ ...ask, max_tokens: 64 }).withResponse();
    await pairOf(message.response.headers.get("x-request-id") ?? "");
    const countId = counted.response.headers.get("x-request-id");
    expect((await shadowPage({ limit: "500" })).records.some((r) => r.requestId === countId)).toBe(false);
    const after = await waitFor("the message's copy counted", async () => {
      const now = await shadowMetrics();
      return now.inFlight === 0 ? now : undefined;
    });
    expect(after.copies("twin", "ok")).toBe(before.copies("twin", "ok") + 1);
    expect(after.copies("twin", "unsupported_operation")).toBe(0);
  });
});

test("a tenant's shadow replaces the model's for its callers, and applies to models without one", async () => {
  const b = (await createKey(gw, { name: "shadow-b2", tenant: "team-b" })).key;
  const ids: string[] = [];
  for (const model of ["same", "plain"]) {
    const { response } = await client(b)
      .chat.completions.create({ model, messages: [{ role: "user", content: "tenant shadow" }] })
      .withResponse();
    ids.push(response.headers.get("x-request-id") ?? "");
  }
  for (const id of ids) {
    const pair = await pairOf(id);
    expect(pair.tenant).toBe("team-b");
    expect(pair.shadow).toMatchObject({
      route: "provider:twin-b",
      upstreamModel: "b-candidate",
      status: 200,
    });
  }
  // Another tenant's call to a model without a shadow is not mirrored.
  const a = (await createKey(gw, { name: "shadow-a2", tenant: "team-a" })).key;
  const plain = await client(a)
    .chat.completions.create({ model: "plain", messages: [{ role: "user", content: "no shadow" }] })
    .withResponse();
  const id = plain.response.headers.get("x-request-id");
  // Nor is team-b's embeddings call: its shadow (one chat candidate) copies no embeddings, and
  // takes the place of the model's own shadow for team-b's callers.
  const embedded = await client(b)
    .embeddings.create({ model: "emb-same", input: "tenant shadow" })
    .withResponse();
  const embeddingsId = embedded.response.headers.get("x-request-id");
  // The pair of team-b's later call is recorded after these would have been: then they are not there.
  const later = await client(b)
    .chat.completions.create({ model: "plain", messages: [{ role: "user", content: "after" }] })
    .withResponse();
  await pairOf(later.response.headers.get("x-request-id") ?? "");
  const recorded = (await shadowPage({ limit: "500" })).records.map((r) => r.requestId);
  expect([recorded.includes(id ?? ""), recorded.includes(embeddingsId ?? "")]).toEqual([false, false]);
});

describe("a Responses call's stored response is the client's answer, never its shadow's", () => {
  for (const stream of [false, true])
    test(`${stream ? "stream" : "non-stream"}: GET /v1/responses/{id} and the next turn of the chain read what the client got`, async () => {
      const turn = `stored ${stream ? "streamed" : "whole"} turn`;
      let id = "";
      let text = "";
      let requestId = "";
      if (stream) {
        const { data, response } = await client()
          .responses.create({ model: "answers-other", input: turn, stream: true })
          .withResponse();
        requestId = response.headers.get("x-request-id") ?? "";
        for await (const event of data)
          if (event.type === "response.completed") {
            id = event.response.id;
            text = event.response.output
              .flatMap((item) => (item.type === "message" ? item.content : []))
              .map((part) => (part.type === "output_text" ? part.text : ""))
              .join("");
          }
      } else {
        const { data, response } = await client()
          .responses.create({ model: "answers-other", input: turn })
          .withResponse();
        requestId = response.headers.get("x-request-id") ?? "";
        ({ id, output_text: text } = data);
      }
      expect(text).toBe(`echo: ${turn}`);
      // The shadow answered otherwise, and after the client had its answer.
      const pair = await pairOf(requestId);
      expect(pair.shadow.status).toBe(200);
      expect(pair.shadow.answer).toContain("more1");
      expect(pair.agreement.exact).toBe(false);
      expect((await client().responses.retrieve(id)).output_text).toBe(text);
      const next = `after the ${stream ? "streamed" : "whole"} turn`;
      await client().responses.create({ model: "plain", input: next, previous_response_id: id });
      const sent = fake.requests.find((r) => JSON.stringify(r.body).includes(next));
      const messages =
        (sent?.body as { messages?: { role: string; content: unknown }[] } | undefined)?.messages ?? [];
      expect(messages.filter((m) => m.role === "assistant").map((m) => m.content)).toEqual([text]);
    });
});

// The same upstream fails alike on both sides of a pair: a copy's stream that ends without its
// end marker is the copy's failure (502), and one that ends in an error event fails with the status
// that event stands for (OpenAI's `server_error` 500, Anthropic's `overloaded_error` 529), as the
// primary's does in its audit row.
describe("a shadow stream cut short or ending in an error event is its failure", () => {
  /** The client's stream read to its end; `failing`: it ends in the upstream's error. */
  const openaiStream = async (model: string, failing = false) => {
    const { data: stream, response } = await client()
      .chat.completions.create({
        model,
        messages: [{ role: "user", content: "one two three four" }],
        stream: true,
      })
      .withResponse();
    let text = "";
    const read = (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })();
    if (failing)
      expect(
        await read.then(
          () => "whole",
          () => "failed",
        ),
      ).toBe("failed");
    else await read;
    if (!failing) expect(text).toBe("echo: one two three four");
    return response.headers.get("x-request-id") ?? "";
  };
  const anthropicStream = async (model: string, failing = false) => {
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: admin, maxRetries: 0 });
    const { data: stream, response } = await anthropic.messages
      .create({
        model,
        max_tokens: 64,
        messages: [{ role: "user", content: "one two three four" }],
        stream: true,
      })
      .withResponse();
    let text = "";
    const read = (async () => {
      for await (const event of stream)
        if (event.type === "content_block_delta" && event.delta.type === "text_delta")
          text += event.delta.text;
    })();
    if (failing)
      expect(
        await read.then(
          () => "whole",
          () => "failed",
        ),
      ).toBe("failed");
    else await read;
    if (!failing) expect(text).toBe("echo: one two three four");
    return response.headers.get("x-request-id") ?? "";
  };

  for (const [model, twin, ask, status] of [
    ["cut", "twin-cut", openaiStream, 502],
    ["errev", "twin-errev", openaiStream, 500],
    ["a-cut", "claude-cut", anthropicStream, 502],
    ["a-errev", "claude-errev", anthropicStream, 529],
  ] as const) {
    test(`${model}: the client has its whole answer; the copy is recorded ${status} upstream_error and counted so`, async () => {
      const failedBefore = (await shadowMetrics()).copies(twin, "upstream_error");
      const pair = await pairOf(await ask(model));
      expect(pair.primary.status).toBe(200);
      expect(pair.shadow).toMatchObject({ status, errorClass: "upstream_error", answer: null });
      expect(pair.shadow.costUsd).toBe(0);
      expect(pair.agreement.exact).toBeNull();
      const counted = await waitFor(`the ${model} copy counted`, async () => {
        const now = await shadowMetrics();
        return now.copies(twin, "upstream_error") === failedBefore + 1 ? now : undefined;
      });
      expect(counted.copies(twin, "ok")).toBe(0);
    });
  }

  for (const [model, ask] of [
    ["errev-both", openaiStream],
    ["a-errev-both", anthropicStream],
  ] as const) {
    test(`${model}: both sides fail on the same error event, and the pair records them alike`, async () => {
      const pair = await pairOf(await ask(model, true));
      expect(pair.primary.status).toBeGreaterThanOrEqual(500);
      expect(pair.shadow).toMatchObject({
        status: pair.primary.status,
        errorClass: pair.primary.errorClass,
        answer: null,
      });
    });
  }
});

describe("a shadow never slows the client", () => {
  test("shadows that hang: every primary answers, the copies over the cap are shed, the rest time out", async () => {
    const before = (await shadowPage()).counts?.shed ?? -1;
    const timeoutsBefore = (await shadowMetrics()).copies("hanger", "upstream_timeout");
    const calls = Array.from({ length: 6 }, (_, i) =>
      client()
        .chat.completions.create({ model: "hangs", messages: [{ role: "user", content: `call ${i}` }] })
        .withResponse(),
    );
    const answers = await Promise.all(calls);
    // All six answered while the shadows still hang: nothing of the shadow's is recorded yet.
    const atAnswer = await shadowPage({ model: "hangs" });
    expect(answers.every(({ data }) => data.choices[0]?.message.content?.startsWith("echo: call"))).toBe(
      true,
    );
    expect(atAnswer.records).toHaveLength(0);
    expect((atAnswer.counts?.shed ?? -1) - before).toBe(6 - CAP);
    expect(atAnswer.counts?.inFlight).toBe(CAP);
    // The same counts on /metrics, for alerting on a cap set too low.
    const atAnswerMetrics = await shadowMetrics();
    expect(atAnswerMetrics.shed).toBe(atAnswer.counts?.shed ?? -1);
    expect(atAnswerMetrics.inFlight).toBe(CAP);
    for (const { response } of answers) {
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect(row.status).toBe(200);
      expect(row.latencyMs).toBeLessThan(SHADOW_TIMEOUT_MS);
    }
    // The copies in flight end at their own timeout, recorded as such.
    const timedOut = await waitFor(
      "the hanging shadows to time out",
      async () => {
        const page = await shadowPage({ model: "hangs" });
        return page.records.length === CAP ? page.records : undefined;
      },
      SHADOW_TIMEOUT_MS + 15_000,
      100,
    );
    for (const pair of timedOut) {
      expect(pair.primary.status).toBe(200);
      expect(pair.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout", answer: null });
      expect(pair.agreement.exact).toBeNull();
    }
    // Counted as timed out; a shed copy is no copy that ended.
    const over = await waitFor("the timed-out copies counted", async () => {
      const now = await shadowMetrics();
      return now.inFlight === 0 ? now : undefined;
    });
    expect(over.copies("hanger", "upstream_timeout") - timeoutsBefore).toBe(CAP);
  });
});

test("mindgw shadow report: the table, --model, --since and --json", async () => {
  // A pair of its own to report: run alone (-t), no other test has made one.
  const { response } = await client()
    .chat.completions.create({ model: "same", messages: [{ role: "user", content: "reported" }] })
    .withResponse();
  await pairOf(response.headers.get("x-request-id") ?? "");
  const remote = ["--gateway", gw.url, "--admin-key", admin];
  const json = await runMindgw(["shadow", "report", "--json", "--model", "same", "--since", "1h", ...remote]);
  expect(json.code).toBe(0);
  const page = JSON.parse(json.stdout) as ShadowPage;
  expect(page.aggregates.map((agg) => agg.model)).toEqual(["same"]);
  const table = await runMindgw(["shadow", "report", "-c", gw.configPath]);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^MODEL\s+PAIRS\s+SHADOW OK\s+EXACT/);
  expect(table.stdout).toMatch(/same\s+\d+\s+\d+\s+100\.0%/);
  const bad = await runMindgw(["shadow", "report", "--since", "soon", ...remote]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("--since: not a duration");
});

test("mindgw shadow report --key-id: one caller's pairs and figures, through a gateway and from the database; a name is no id", async () => {
  const key = await createKey(gw, { name: "carol-sh" });
  const pairs: ShadowRecord[] = [];
  for (const caller of [key.key, await token({ sub: "carol-sh", tenant: "team-a" })]) {
    const { response } = await client(caller)
      .chat.completions.create({ model: "same", messages: [{ role: "user", content: "mine" }] })
      .withResponse();
    pairs.push(await pairOf(response.headers.get("x-request-id") ?? ""));
  }
  expect(pairs.map((p) => p.keyId)).toEqual([key.id, "jwt:team-a:carol-sh"]);
  const remote = ["--gateway", gw.url, "--admin-key", admin];
  const local = ["-c", gw.configPath];
  for (const target of [remote, local])
    for (const pair of pairs) {
      const json = await runMindgw(["shadow", "report", "--json", "--key-id", pair.keyId ?? "", ...target]);
      expect(json.code).toBe(0);
      const page = JSON.parse(json.stdout) as ShadowPage;
      expect(page.records.map((r) => r.id)).toEqual([pair.id]);
      expect(page.aggregates.map((agg) => [agg.model, agg.pairs])).toEqual([["same", 1]]);
    }
  const table = await runMindgw(["shadow", "report", "--key-id", key.id, ...local]);
  expect(table.stdout).toMatch(/\nsame\s+1\s+1\s+100\.0%/);
  // The name both callers share selects neither; an empty id is refused before anything is read.
  const byName = await runMindgw(["shadow", "report", "--key-id", "carol-sh", ...remote]);
  expect(byName.stdout).toStartWith("no shadow pairs match this filter\n");
  const empty = await runMindgw(["shadow", "report", "--key-id", "", ...local]);
  expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining("--key-id:")]);
});
