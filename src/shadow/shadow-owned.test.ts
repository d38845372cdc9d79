import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import { configSchema } from "../config/config-schema.ts";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { JsonObject } from "../core/dialect.ts";
import { silentLogger } from "../log/logger.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import type { Route } from "../routing/route.ts";
import type { Dispatched, DispatchRequest } from "../routing/router.ts";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import { waitFor } from "../testing/wait-for.ts";
import type { ShadowRecord } from "./shadow-api-schema.ts";
import { pairFacts } from "./shadow-record.ts";
import { createShadowRunner } from "./shadow-runner.ts";
import { createShadowThread } from "./shadow-thread-client.ts";
import type { ThreadRules } from "./shadow-thread-protocol.ts";

// A pair handed to the shadow thread whole (sent, timed out, compared, priced and recorded
// there) is recorded exactly as the event loop records it; its timeout, the stop and the cap
// behave as on the event loop.

const config = configSchema.parse({
  providers: [{ name: "twin", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
  models: [{ name: "m", routes: [{ provider: "twin", model: "candidate" }] }],
  prices: { candidate: { input_per_mtok: 3, output_per_mtok: 7 } },
  audit: { bodies: true },
});
const rules: ThreadRules = {
  maxAnswer: config.shadow.max_answer,
  keepAnswers: true,
  flushMs: 1,
  prices: { prices: config.prices, providers: config.providers, models: config.models },
};

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.stop());

const twin = (headers: Record<string, string> = {}): Route => ({
  provider: createOpenAICompatibleProvider({ name: "twin", baseUrl: `${fake.url}/v1`, headers }),
  upstreamModel: "candidate",
  weight: 1,
  timeouts: { connectMs: 10_000, firstByteMs: 10_000, idleMs: 10_000 },
  key: "twin/candidate",
  label: "provider:twin",
});

/** Where the pair is recorded: on the event loop (`loop`), or in the shadow thread (`owned`, with or without `insertJson`). */
type Path = "loop" | "owned" | "owned-insert";

function runner(path: Path, options: { timeout?: number; cap?: number } = {}) {
  const stored: ShadowRecord[] = [];
  const jsonBatches: string[] = [];
  const shadow = createShadowRunner({
    settings: () => ({
      ...config.shadow,
      timeout: options.timeout ?? 10_000,
      max_concurrent: options.cap ?? 16,
    }),
    keepAnswers: () => true,
    redact: redactSecrets,
    pricing: () => new PriceBook(config),
    store: {
      async insert(records) {
        stored.push(...records);
      },
      ...(path === "owned"
        ? {
            async insertJson(json: string) {
              jsonBatches.push(json);
              stored.push(...(JSON.parse(json) as ShadowRecord[]));
            },
          }
        : {}),
    },
    flushMs: () => 1,
    logger: silentLogger,
    routeFor: () => undefined,
    thread: path === "loop" ? "off" : "all",
    ...(path === "loop" ? {} : { threadRules: () => rules }),
  });
  return { shadow, stored, jsonBatches };
}

const primaryText = "Sure: the key is sk-abcdefghijklmnopqrstuvwx, hello world";

/** One client request through the runner: sampled, answered with `reply`, its audit record in. */
async function mirrored(
  shadow: ReturnType<typeof runner>["shadow"],
  requestId: string,
  route: Route,
  { stream, reply, body }: { stream: boolean; reply: () => ClientReply; body: JsonObject },
): Promise<boolean> {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const request: DispatchRequest = {
    operation: "chat",
    body,
    model: "m",
    stream,
    requestId,
    signal: new AbortController().signal,
    received: { bytes, body, headers: {}, query: "" },
  };
  const primary: Dispatched = {
    reply: reply(),
    route: "provider:fake",
    upstreamModel: "m",
    attempts: 1,
    dropped: [],
    usage: () => ({ inputTokens: 3, outputTokens: 9 }),
  };
  const handed = shadow.hook({ route, sample: 1 }, request, primary);
  const sampled = handed !== primary;
  // A stream reaches the client (and so the capture) before its audit record is in.
  if (handed.reply.kind === "stream") {
    const { chunks } = handed.reply;
    if (!chunks.ready?.() || !chunks.drained) while (await chunks.next());
  }
  const record: AuditRecord = {
    requestId,
    startedAt: Date.now(),
    keyId: null,
    keyName: "team-key",
    tenant: "acme",
    role: null,
    frontDoor: "chat",
    model: "m",
    route: "provider:fake",
    upstreamModel: "m",
    status: 200,
    errorClass: null,
    stream,
    latencyMs: 12.345,
    ttfbMs: 4.567,
    inputTokens: 3,
    outputTokens: 9,
    costUsd: 0.25,
    clientIp: null,
    userAgent: null,
  };
  shadow.finished(record);
  return sampled;
}

const encode = (text: string) => new TextEncoder().encode(text);
const chat = (content: string) => ({ choices: [{ index: 0, message: { role: "assistant", content } }] });
const sse = (content: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\ndata: [DONE]\n\n`;
const ask = (content: string, extra: JsonObject = {}): JsonObject => ({
  model: "m",
  messages: [{ role: "user", content }],
  ...extra,
});
const structured = {
  response_format: {
    type: "json_schema",
    json_schema: { name: "a", schema: { type: "object", required: ["answer"] } },
  },
};
const tools = {
  tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
};

/** The cases compared: both modes, each way the primary's answer is kept, agreement measures that apply. */
/** The primary's stream in `parts` pieces (split inside characters too); with one piece, whole in its first read. */
function streamed(text: string, parts: number): () => ClientReply {
  return () => {
    const bytes = encode(text);
    const size = Math.ceil(bytes.byteLength / parts);
    const pieces = Array.from({ length: parts }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
    let i = 0;
    const chunks: ChunkSource = {
      reported: undefined,
      get drained() {
        return parts === 1 && i === 1;
      },
      ready: () => (parts === 1 && i === 0 ? pieces[i++] : undefined),
      next: async () => pieces[i++],
      cancel() {},
    };
    return { kind: "stream", chunks };
  };
}

const cases: { name: string; stream: boolean; reply: () => ClientReply; body: JsonObject }[] = [
  {
    name: "non-stream, the primary's bytes",
    stream: false,
    reply: () => ({ kind: "bytes", body: encode(JSON.stringify(chat(primaryText))) }) as ClientReply,
    body: ask("hello world"),
  },
  {
    name: "non-stream, the primary's parsed body, structured output",
    stream: false,
    reply: () => ({ kind: "json", body: chat('{"answer": 1}') }) as ClientReply,
    body: ask('{"answer": 2}', structured),
  },
  {
    name: "non-stream with tools",
    stream: false,
    reply: () => ({ kind: "json", body: chat("") }) as ClientReply,
    body: ask("look it up", tools),
  },
  {
    name: "stream, the primary's wire bytes",
    stream: true,
    reply: () => ({ kind: "bytes", body: encode(sse(primaryText)) }) as ClientReply,
    body: ask("hello there world", { stream: true, stream_options: { include_usage: true } }),
  },
  {
    name: "stream relayed in pieces, captured as bytes",
    stream: true,
    reply: streamed(sse("ünïcode — split ✓ everywhere"), 7),
    body: ask("hello there", { stream: true }),
  },
  {
    name: "stream whole in its first read (drained)",
    stream: true,
    reply: streamed(sse(primaryText), 1),
    body: ask("hello there world", { stream: true }),
  },
];

/** What may differ between two recordings of the same pair: its id, its time, the shadow's timing. */
const comparable = (record: ShadowRecord | undefined) =>
  record && {
    ...record,
    id: "",
    at: 0,
    shadow: { ...record.shadow, latencyMs: 0, ttftMs: record.shadow.ttftMs === null ? null : 0 },
  };

describe("a pair recorded in the shadow thread is the pair the event loop records", () => {
  for (const path of ["owned", "owned-insert"] as const)
    test(`${path === "owned" ? "store with insertJson" : "store with insert only"}: every case`, async () => {
      const loop = runner("loop");
      const owned = runner(path);
      for (const [i, c] of cases.entries()) {
        await mirrored(loop.shadow, `req_${i}`, twin(), c);
        await mirrored(owned.shadow, `req_${i}`, twin(), c);
      }
      await waitFor("the event loop's pairs", () => loop.stored.length === cases.length);
      await waitFor("the shadow thread's pairs", () => owned.stored.length === cases.length);
      await loop.shadow.close();
      await owned.shadow.close();
      const byId = (records: ShadowRecord[]) =>
        [...records].sort((a, b) => a.requestId.localeCompare(b.requestId)).map(comparable);
      expect(byId(owned.stored)).toEqual(byId(loop.stored));
      if (path === "owned") expect(owned.jsonBatches.length).toBeGreaterThan(0);
      // What the comparison says, so that equal records are not equally empty.
      const records = byId(owned.stored);
      expect(records[0]?.primary.answer).toBe("Sure: the key is [redacted], hello world");
      expect(records[0]?.shadow).toMatchObject({ status: 200, inputTokens: expect.any(Number) });
      expect(records[0]?.shadow.costUsd).toBeGreaterThan(0);
      expect(records[0]?.agreement.similarity).toBeGreaterThan(0);
      expect(records[0]?.agreement.similarity).toBeLessThan(1);
      expect(records[1]?.agreement.primaryJsonValid).toBe(true);
      expect(records[1]?.agreement.shadowJsonValid).not.toBeNull();
      expect(records[2]?.agreement.toolsAgree).toBe(false);
      expect(records[3]).toMatchObject({ stream: true, primary: { ttftMs: 4.57 } });
      expect(records[3]?.shadow.ttftMs).not.toBeNull();
      expect(records[4]?.primary.answer).toBe("ünïcode — split ✓ everywhere");
      expect(records[5]?.primary.answer).toBe("Sure: the key is [redacted], hello world");
    });
});

describe("an owned copy's timeout, the stop and the cap", () => {
  const plain = {
    stream: false,
    reply: () => ({ kind: "json", body: chat("hi") }) as ClientReply,
    body: ask("hi"),
  };

  test("a copy that hangs is cut off in the thread by its own timeout and recorded as a 504", async () => {
    const { shadow, stored } = runner("owned", { timeout: 50 });
    await mirrored(shadow, "req_timeout", twin({ "x-fake-hang": "1" }), plain);
    expect(shadow.inFlight()).toBe(1);
    await waitFor("the pair of the timed-out copy", () => stored.length > 0);
    expect(stored[0]?.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout", answer: null });
    expect(stored[0]?.agreement.similarity).toBeNull();
    expect(shadow.inFlight()).toBe(0);
    await shadow.close();
  });

  test("over the cap a copy is shed and counted; an owned copy counts until the thread is done with it", async () => {
    const { shadow, stored } = runner("owned", { timeout: 60_000, cap: 1 });
    expect(await mirrored(shadow, "req_first", twin({ "x-fake-hang": "1" }), plain)).toBe(true);
    expect(await mirrored(shadow, "req_shed", twin(), plain)).toBe(false);
    expect(shadow.shed()).toBe(1);
    await waitFor("the copy upstream", () =>
      fake.requests.some((r) => r.headers["x-request-id"] === "req_first-shadow"),
    );
    expect(shadow.inFlight()).toBe(1);
    expect(await mirrored(shadow, "req_shed_too", twin(), plain)).toBe(false);
    expect(shadow.shed()).toBe(2);
    // The stop cuts it off in the thread; its pair is recorded before close resolves.
    await shadow.close();
    expect(shadow.inFlight()).toBe(0);
    expect(stored.map((record) => record.requestId)).toEqual(["req_first"]);
    expect(stored[0]?.shadow).toMatchObject({ status: 503, errorClass: "unavailable" });
  });
});

/** A plain copy of a chat call to the fake upstream, as the runner hands it to the thread. */
const twinCopy = () => ({
  provider: "twin",
  url: `${fake.url}/v1/chat/completions`,
  headers: {},
  body: "{}",
  target: { label: "provider:twin", dialect: "openai" as const, operation: "chat" as const, stream: false },
});

test("copies the thread answered are not kept alive by young collections (its Map of waiters kept them)", async () => {
  const thread = createShadowThread();
  const copy = twinCopy();
  // What a waiter holds of its copy: the copy's signal (an abort listener on it, until answered).
  const kept = await keptAfterChurn(
    () => new AbortController().signal,
    (signal) => thread.exchange(copy, signal),
    (answered) => answered,
  );
  // The Map kept 489 of 500.
  expect(kept).toBeLessThan(50);
  thread.close();
});

test("a thread that failed or stopped answers a handed copy as done at once: the cap and a stop never wait on it", async () => {
  const done: number[] = [];
  const thread = createShadowThread({ done: (id) => done.push(id), records: () => {} });
  thread.close();
  expect(thread.usable()).toBe(false);
  const id = thread.hand({
    provider: "twin",
    url: `${fake.url}/v1/chat/completions`,
    headers: {},
    body: "{}",
    target: { label: "provider:twin", dialect: "openai", operation: "chat", stream: false },
    pair: {
      facts: pairFacts({ model: "m", stream: false, operation: "chat", body: {} }, twin()),
      timeoutMs: 1000,
    },
  });
  await waitFor("the copy answered as done", () => done.includes(id));
  await expect(
    thread.exchange(
      {
        provider: "twin",
        url: "",
        headers: {},
        body: "",
        target: { label: "provider:twin", dialect: "openai", operation: "chat", stream: false },
      },
      new AbortController().signal,
    ),
  ).rejects.toThrow("stopped");
});

test("a thread that fails with owned pairs in it says how many are lost, answers each as done, and fails later copies", async () => {
  const done: number[] = [];
  const failures: { lost: number; reason: string }[] = [];
  const thread = createShadowThread(
    {
      done: (id) => done.push(id),
      records: () => {},
      failed: (lost, reason) => failures.push({ lost, reason }),
    },
    () => new URL("./failing-thread-fixture.ts", import.meta.url).href,
  );
  const copy = {
    ...twinCopy(),
    pair: {
      facts: pairFacts({ model: "m", stream: false, operation: "chat", body: {} }, twin()),
      timeoutMs: 60_000,
    },
  };
  const ids = [thread.hand(copy), thread.hand(copy)];
  await waitFor("the thread's failure reported", () => failures.length > 0);
  expect(failures).toEqual([{ lost: 2, reason: expect.stringContaining("broke on purpose") }]);
  expect(done.sort((a, b) => a - b)).toEqual(ids);
  expect(thread.usable()).toBe(false);
  await expect(thread.exchange(copy, new AbortController().signal)).rejects.toThrow(
    "the shadow thread failed",
  );
  thread.close();
});
