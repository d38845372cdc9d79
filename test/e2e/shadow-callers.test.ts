import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { shadowFixture } from "./harness/shadow-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// Whose shadow a call takes: calls that share a request id are each mirrored with their own
// record and their own tenant's shadow; a tenant's shadow replaces the model's for its callers.

const shadow = shadowFixture();
const { client, pairOf, shadowPage } = shadow;

describe("requests that share a request id (the caller's x-request-id: anyone's to choose)", () => {
  /** A chat call with its own `x-request-id`, its prompt `content`; resolves with its status. */
  const call = async (key: string, model: string, id: string, content: string, stream = false) => {
    const res = await fetch(`${shadow.gw.url}/v1/chat/completions`, {
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
    shadow.fake.requests
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
    const bob = (await createKey(shadow.gw, { name: "dup-b", tenant: "team-b" })).key;
    const alice = (await createKey(shadow.gw, { name: "dup-a", tenant: "team-a" })).key;
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
    const first = await fetch(`${shadow.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(shadow.admin), "x-request-id": "dup-fanout" },
      body: JSON.stringify({
        model: "same",
        stream: true,
        messages: [{ role: "user", content: "first prompt [[fake:chunk-delay=150]]" }],
      }),
    });
    expect(first.status).toBe(200);
    expect(await call(shadow.admin, "same", "dup-fanout", "second prompt", true)).toBe(200);
    await first.arrayBuffer();
    const pairs = await pairsOf("dup-fanout", 2);
    expect(pairs.map((p) => p.primary.answer).sort()).toEqual(["echo: first prompt", "echo: second prompt"]);
    for (const pair of pairs) expect(pair.shadow.answer).toBe(pair.primary.answer);
  });
});

test("a tenant's shadow replaces the model's for its callers, and applies to models without one", async () => {
  const b = (await createKey(shadow.gw, { name: "shadow-b2", tenant: "team-b" })).key;
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
  const a = (await createKey(shadow.gw, { name: "shadow-a2", tenant: "team-a" })).key;
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
