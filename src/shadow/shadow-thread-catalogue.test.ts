import { afterAll, beforeAll, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import { configSchema } from "../config/config-schema.ts";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import { waitFor } from "../testing/wait-for.ts";
import type { ShadowRecord } from "./shadow-api-schema.ts";
import { pairFacts } from "./shadow-record.ts";
import { createShadowThread, type OwnedPairs } from "./shadow-thread-client.ts";
import type { ThreadRules } from "./shadow-thread-protocol.ts";

// The shadow thread's rules name a provider the price catalogue prices, and the thread loads it
// (serve-shadow-thread.ts): what comes meanwhile waits its turn, none lost, and a load that fails
// leaves the thread shadowing, its copies priced 0, as does one still loading past its limit. Each
// thread here is the real one with a stand-in catalogue load (the fixtures): one held until
// messages are behind it, one that fails, one that never settles, one that ends past its limit.

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.stop());

const config = configSchema.parse({
  providers: [{ name: "twin", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
  models: [{ name: "m", routes: [{ provider: "twin", model: "gpt-4o-mini" }] }],
});
/** Rules naming an OpenAI provider: the catalogue prices it. */
const rules: ThreadRules = {
  maxAnswer: config.shadow.max_answer,
  keepAnswers: true,
  flushMs: 60_000,
  prices: { prices: config.prices, providers: config.providers, models: config.models },
};

/** An owned copy of a chat call to the fake upstream, priced by the catalogue (gpt-4o-mini on OpenAI). */
const copy = () => ({
  provider: "twin",
  url: `${fake.url}/v1/chat/completions`,
  headers: {},
  body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "the sky is blue" }] }),
  target: { label: "provider:twin", dialect: "openai" as const, operation: "chat" as const, stream: false },
  pair: {
    facts: pairFacts(
      { model: "m", stream: false, operation: "chat", body: {} },
      { label: "provider:twin", upstreamModel: "gpt-4o-mini" },
    ),
    timeoutMs: 60_000,
  },
});

const primaryOf = (id: number, requestId: string) => ({
  id,
  facts: {
    requestId,
    tenant: "acme",
    keyId: null,
    keyName: "team-key",
    status: 200,
    errorClass: null,
    latencyMs: 10,
    ttfbMs: 5,
    route: "provider:fake",
    upstreamModel: "m",
    inputTokens: 3,
    outputTokens: 9,
    costUsd: 0.25,
  },
});

/** A thread from `fixture`, and what it told the gateway. */
function threadOf(fixture: string) {
  const records: ShadowRecord[] = [];
  const told = { done: 0, failed: [] as string[], unpriced: [] as string[] };
  const owned: OwnedPairs = {
    done: () => told.done++,
    records: (json) => records.push(...(JSON.parse(json) as ShadowRecord[])),
    failed: (_, reason) => told.failed.push(reason),
    unpriced: (reason) => told.unpriced.push(reason),
  };
  const thread = createShadowThread(owned, () => new URL(fixture, import.meta.url).href);
  return { thread, records, told };
}

test("messages that come while the thread loads the catalogue wait their turn behind it: none lost, in order, priced once it is loaded", async () => {
  const { thread, records, told } = threadOf("./held-catalogue-thread-fixture.ts");
  // One message each turn: the rules with the first copy (the load begins, held), then a
  // primary and a copy, then the last primary (its arrival lets the load end).
  thread.rules(rules);
  const first = thread.hand(copy());
  await yieldToLoop();
  thread.primary(primaryOf(first, "req-1"));
  const second = thread.hand(copy());
  await yieldToLoop();
  thread.primary(primaryOf(second, "req-2"));
  await waitFor("both copies done", () => told.done === 2);
  await thread.flush();
  expect(records.map((record) => record.requestId)).toEqual(["req-1", "req-2"]);
  for (const record of records) expect(record.shadow.costUsd).toBeGreaterThan(0);
  expect(told.failed).toEqual([]);
  expect(told.unpriced).toEqual([]);
  thread.close();
});

for (const [how, fixture, why] of [
  ["does not load", "./failing-catalogue-thread-fixture.ts", "the catalogue's chunk is missing"],
  // Every message after the rules waits behind the load: held for good, none would be handled.
  ["is still loading past its limit", "./hung-catalogue-thread-fixture.ts", "still loading after 0.05 s"],
] as const)
  test(`a catalogue that ${how} in the thread leaves it shadowing: its copies are recorded priced 0, and the gateway is told why`, async () => {
    const { thread, records, told } = threadOf(fixture);
    thread.rules(rules);
    const first = thread.hand(copy());
    thread.primary(primaryOf(first, "req-1"));
    await waitFor("the copy done", () => told.done === 1);
    // Later copies are shadowed as usual.
    const second = thread.hand(copy());
    thread.primary(primaryOf(second, "req-2"));
    await waitFor("the second copy done", () => told.done === 2);
    await thread.flush();
    expect(records.map((record) => [record.requestId, record.shadow.status, record.shadow.costUsd])).toEqual([
      ["req-1", 200, 0],
      ["req-2", 200, 0],
    ]);
    expect(told.failed).toEqual([]);
    expect(told.unpriced).toEqual([expect.stringContaining(why)]);
    expect(thread.usable()).toBe(true);
    thread.close();
  });

test("a catalogue that loads after its limit prices the copies from then on, with the rules the gateway sent: no new rules needed", async () => {
  const { thread, records, told } = threadOf("./late-catalogue-thread-fixture.ts");
  thread.rules(rules);
  const first = thread.hand(copy());
  thread.primary(primaryOf(first, "req-1"));
  // Past the limit: the rules are adopted without the catalogue's prices.
  await waitFor("the first copy done", () => told.done === 1);
  expect(told.unpriced).toEqual([expect.stringContaining("still loading after 0.05 s")]);
  // This turn's message lets the load end: the rules in force are adopted again, priced, in turn.
  const second = thread.hand(copy());
  thread.primary(primaryOf(second, "req-2"));
  await waitFor("the second copy done", () => told.done === 2);
  const third = thread.hand(copy());
  thread.primary(primaryOf(third, "req-3"));
  await waitFor("the third copy done", () => told.done === 3);
  await thread.flush();
  expect(records.map((record) => record.requestId)).toEqual(["req-1", "req-2", "req-3"]);
  expect(records[0]?.shadow.costUsd).toBe(0);
  expect(records[2]?.shadow.costUsd).toBeGreaterThan(0);
  expect(told.failed).toEqual([]);
  expect(told.unpriced).toHaveLength(1);
  thread.close();
});

test("rules sent while a load is known past its limit are adopted at once, unpriced: the thread does not wait for the same load again", async () => {
  const { thread, records, told } = threadOf("./hung-catalogue-thread-fixture.ts");
  thread.rules(rules);
  const first = thread.hand(copy());
  thread.primary(primaryOf(first, "req-1"));
  await waitFor("the first copy done", () => told.done === 1);
  // A reload sends the rules again: each wait past the limit would say why once more.
  thread.rules({ ...rules, keepAnswers: false });
  const second = thread.hand(copy());
  thread.primary(primaryOf(second, "req-2"));
  await waitFor("the second copy done", () => told.done === 2);
  await thread.flush();
  expect(records.map((record) => [record.requestId, record.shadow.costUsd])).toEqual([
    ["req-1", 0],
    ["req-2", 0],
  ]);
  // The reload's rules are in force: the second answer is not kept.
  expect(records[0]?.shadow.answer).not.toBeNull();
  expect(records[1]?.shadow.answer).toBeNull();
  expect(told.unpriced).toEqual([expect.stringContaining("still loading after 0.05 s")]);
  thread.close();
});

test("rules sent while the first wait for the load still runs are adopted unpriced once it passes its limit, not held for the load again", async () => {
  const { thread, records, told } = threadOf("./hung-catalogue-thread-fixture.ts");
  thread.rules(rules);
  const first = thread.hand(copy());
  thread.primary(primaryOf(first, "req-1"));
  // The next turn's message: it comes while the thread waits for the load (its 50 ms limit), so the
  // load is not known late yet as it comes, but is by its turn.
  await yieldToLoop();
  thread.rules({ ...rules, keepAnswers: false });
  const second = thread.hand(copy());
  thread.primary(primaryOf(second, "req-2"));
  await waitFor("both copies done", () => told.done === 2);
  await thread.flush();
  expect(records.map((record) => [record.requestId, record.shadow.costUsd])).toEqual([
    ["req-1", 0],
    ["req-2", 0],
  ]);
  expect(records[1]?.shadow.answer).toBeNull();
  // One wait past the limit, said once: a second wait would say it again.
  expect(told.unpriced).toEqual([expect.stringContaining("still loading after 0.05 s")]);
  thread.close();
});
