/**
 * What one shadowed request costs the gateway besides the copy's network exchange, in process
 * (issue 15): the shadow runner over canned answers, with the shadow upstream's `fetch` replaced
 * by one that returns the burst upstream's answer at once, so everything but the sockets is run
 * as in the gateway: sampling and the pair, the primary's answer kept, the copy's request (the
 * client's bytes with the model spliced), reading and parsing the copy's answer, the comparison,
 * pricing, and the stored row (`shadowRow`, as the SQLite store sends it to the audit thread).
 *   bun bench/shadow-micro.ts            (SHADOW_ITERATIONS, default 5000 pairs per round;
 *                                         SHADOW_SCENARIO=non-stream|stream for one only)
 * Prints CPU µs per pair, min–median–max over 5 rounds, non-stream and stream. Compare with the
 * gateway's whole CPU per shadowed request (`bun bench/cpu-per-request.ts --shadow`).
 */
import { configSchema } from "../src/config/config-schema.ts";
import type { JsonObject } from "../src/core/dialect.ts";
import { silentLogger } from "../src/log/logger.ts";
import { PriceBook } from "../src/pricing/price-book.ts";
import { createOpenAICompatibleProvider } from "../src/providers/openai-compatible/openai-compatible-provider.ts";
import type { ClientReply } from "../src/routing/native-reply.ts";
import type { Route } from "../src/routing/route.ts";
import type { Dispatched, DispatchRequest } from "../src/routing/router.ts";
import type { ShadowRecord } from "../src/shadow/shadow-api-schema.ts";
import { createShadowRunner } from "../src/shadow/shadow-runner.ts";
import { shadowRow } from "../src/storage/sqlite/shadow-inserter.ts";
import { SCENARIOS } from "./scenarios.ts";

const iterations = Number(process.env.SHADOW_ITERATIONS ?? "5000");
const ROUNDS = 5;

// The burst upstream's answers (bench/burst-upstream.ts): 20 words, whole or as 23 events.
const words = Array.from({ length: 20 }, (_, i) => `word${i} `);
const usage = { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 };
const base = { id: "chatcmpl-burst", created: 1_764_460_800, model: "bench-model" };
const jsonAnswer = JSON.stringify({
  ...base,
  object: "chat.completion",
  choices: [{ index: 0, message: { role: "assistant", content: words.join("") }, finish_reason: "stop" }],
  usage,
});
const chunk = (delta: object, finish: string | null, extra: object = {}) =>
  `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
const streamAnswer = [
  chunk({ role: "assistant", content: "" }, null),
  ...words.map((w) => chunk({ content: w }, null)),
  chunk({}, "stop"),
  `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage })}\n\n`,
  "data: [DONE]\n\n",
].join("");
const encoder = new TextEncoder();
const jsonBytes = encoder.encode(jsonAnswer);
const streamBytes = encoder.encode(streamAnswer);

const instantFetch = (async (_url: string | URL | Request, init?: RequestInit) => {
  const streamed = /"stream"\s*:\s*true/.test(new TextDecoder().decode(init?.body as Uint8Array));
  // With a content length, as the burst upstream's Bun.serve sends them.
  return streamed
    ? new Response(streamBytes, { headers: { "content-type": "text/event-stream" } })
    : new Response(jsonBytes, {
        headers: { "content-type": "application/json", "content-length": String(jsonBytes.length) },
      });
}) as typeof fetch;

const provider = createOpenAICompatibleProvider({
  name: "shadow-fake",
  baseUrl: "http://127.0.0.1:1/v1",
  fetch: instantFetch,
});
const route: Route = {
  provider,
  upstreamModel: "bench-model",
  weight: 1,
  timeouts: { connectMs: 10_000, firstByteMs: 10_000, idleMs: 10_000 },
  key: "shadow-fake/bench-model",
  label: "provider:shadow-fake",
};
const config = configSchema.parse({
  providers: [{ name: "shadow-fake", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
  models: [{ name: "bench-model", routes: [{ provider: "shadow-fake", model: "bench-model" }] }],
});
const pricing = new PriceBook(config);

let stored = 0;
const runner = createShadowRunner({
  settings: () => ({ ...config.shadow, max_concurrent: 1024 }),
  keepAnswers: () => false,
  redact: (text) => text,
  pricing: () => pricing,
  // As the SQLite store does: each pair becomes its row where the batch is made.
  store: {
    async insert(records: readonly ShadowRecord[]) {
      stored += records.map(shadowRow).length;
    },
  },
  flushMs: () => 1,
  logger: silentLogger,
  routeFor: () => undefined,
});

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

let sequence = 0;

/** One client request through the runner: sampled, its answer relayed, its record in. */
async function shadowed(stream: boolean): Promise<void> {
  const scenario = SCENARIOS[stream ? 1 : 0] as { body: JsonObject };
  const body = scenario.body;
  const requestId = `req_${++sequence}`;
  const request: DispatchRequest = {
    operation: "chat",
    body,
    model: "bench-model",
    stream,
    requestId,
    signal: new AbortController().signal,
    received: { bytes: encoder.encode(JSON.stringify(body)), body, headers: {}, query: "" },
  };
  let reply: ClientReply;
  if (stream) {
    let sent = false;
    reply = {
      kind: "stream",
      chunks: {
        reported: undefined,
        async next() {
          if (sent) return undefined;
          sent = true;
          return streamBytes;
        },
        cancel() {},
      },
    };
  } else reply = { kind: "bytes", status: 200, contentType: "application/json", body: jsonBytes };
  const primary: Dispatched = {
    reply,
    route: "provider:fake",
    upstreamModel: "bench-model",
    attempts: 1,
    dropped: [],
    usage: () => ({ inputTokens: 12, outputTokens: 20 }),
  };
  const served = runner.hook({ route, sample: 1 }, request, primary);
  if (served.reply.kind === "stream") while (await served.reply.chunks.next());
  runner.finished({
    requestId,
    startedAt: Date.now(),
    keyId: "k",
    keyName: "bench",
    tenant: null,
    role: "user",
    frontDoor: "chat",
    model: "bench-model",
    route: "provider:fake",
    upstreamModel: "bench-model",
    status: 200,
    errorClass: null,
    stream,
    latencyMs: 1.5,
    ttfbMs: 1,
    inputTokens: 12,
    outputTokens: 20,
    costUsd: 0,
    clientIp: "127.0.0.1",
    userAgent: "wrk",
  });
}

/** CPU µs per pair: `iterations` requests in batches of 32 (c=32), then every pair recorded. */
async function measure(stream: boolean): Promise<[number, number, number]> {
  const batch = async (n: number) => {
    const before = stored;
    for (let done = 0; done < n; done += 32)
      await Promise.all(Array.from({ length: Math.min(32, n - done) }, () => shadowed(stream)));
    // Every copy answered and every pair compared and stored (the runner flushes every 1 ms).
    const deadline = Date.now() + 10_000;
    while (stored - before < n && Date.now() < deadline) await Bun.sleep(1);
    if (stored - before !== n) throw new Error(`stored ${stored - before} of ${n} pairs`);
  };
  await batch(2000); // warm up the JIT
  const perPair: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = cpuUs();
    await batch(iterations);
    perPair.push((cpuUs() - start) / iterations);
  }
  perPair.sort((a, b) => a - b);
  return [perPair[0] ?? 0, perPair[Math.floor(ROUNDS / 2)] ?? 0, perPair[ROUNDS - 1] ?? 0];
}

console.log(`shadow runner, ${iterations} pairs per round, CPU µs per pair (min–median–max of ${ROUNDS}):`);
const only = process.env.SHADOW_SCENARIO;
for (const stream of [false, true].filter((s) => !only || only === (s ? "stream" : "non-stream"))) {
  const [min, med, max] = await measure(stream);
  console.log(
    `  ${stream ? "stream    " : "non-stream"}  ${med.toFixed(1)} (${min.toFixed(1)}–${max.toFixed(1)})`,
  );
}
await runner.close();
