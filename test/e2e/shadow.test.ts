import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ShadowPage, ShadowRecord } from "../../src/shadow/shadow-api-schema.ts";
import { createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { shadowFixture } from "./harness/shadow-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// Shadow copies through the compiled binary: each sampled request is mirrored off the client's
// path, both answers are recorded with their agreement, streams are shadowed as streams, a
// shadow that hangs costs the client nothing and is shed at the cap.

const shadow = shadowFixture();
const { client, pairOf, shadowMetrics, shadowPage, token } = shadow;

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
    const report = await runMindgw([
      "shadow",
      "report",
      "--gateway",
      shadow.gw.url,
      "--admin-key",
      shadow.admin,
    ]);
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
    const shadowCall = shadow.fake.requests.find(
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
    const a = (await createKey(shadow.gw, { name: "shadow-a", tenant: "team-a" })).key;
    const b = (await createKey(shadow.gw, { name: "shadow-b", tenant: "team-b" })).key;
    // Three pairs of a model no other test asks for: team-a's, team-b's and the admin's, each
    // recorded before the next is asked (more copies in flight than the cap would be shed).
    const ids: string[] = [];
    for (const [key, content] of [
      [a, "a"],
      [b, "b"],
      [shadow.admin, "c"],
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
    const other = await fetch(`${shadow.gw.url}/admin/api/shadow?tenant=team-b&model=tallied`, {
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
    const key = await createKey(shadow.gw, { name: "alice-sh", tenant: "team-a" });
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

test("mindgw shadow report: the table, --model, --since and --json", async () => {
  // A pair of its own to report: run alone (-t), no other test has made one.
  const { response } = await client()
    .chat.completions.create({ model: "same", messages: [{ role: "user", content: "reported" }] })
    .withResponse();
  await pairOf(response.headers.get("x-request-id") ?? "");
  const remote = ["--gateway", shadow.gw.url, "--admin-key", shadow.admin];
  const json = await runMindgw(["shadow", "report", "--json", "--model", "same", "--since", "1h", ...remote]);
  expect(json.code).toBe(0);
  const page = JSON.parse(json.stdout) as ShadowPage;
  expect(page.aggregates.map((agg) => agg.model)).toEqual(["same"]);
  const table = await runMindgw(["shadow", "report", "-c", shadow.gw.configPath]);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^MODEL\s+PAIRS\s+SHADOW OK\s+EXACT/);
  expect(table.stdout).toMatch(/same\s+\d+\s+\d+\s+100\.0%/);
  const bad = await runMindgw(["shadow", "report", "--since", "soon", ...remote]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("--since: not a duration");
});

test("mindgw shadow report --key-id: one caller's pairs and figures, through a gateway and from the database; a name is no id", async () => {
  const key = await createKey(shadow.gw, { name: "carol-sh" });
  const pairs: ShadowRecord[] = [];
  for (const caller of [key.key, await token({ sub: "carol-sh", tenant: "team-a" })]) {
    const { response } = await client(caller)
      .chat.completions.create({ model: "same", messages: [{ role: "user", content: "mine" }] })
      .withResponse();
    pairs.push(await pairOf(response.headers.get("x-request-id") ?? ""));
  }
  expect(pairs.map((p) => p.keyId)).toEqual([key.id, "jwt:team-a:carol-sh"]);
  const remote = ["--gateway", shadow.gw.url, "--admin-key", shadow.admin];
  const local = ["-c", shadow.gw.configPath];
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
