/**
 * What one shadowed request costs the gateway besides the copy's network exchange, in process
 * (issue 15): the shadow runner over canned answers, with the shadow upstream's `fetch` replaced
 * by one that returns the burst upstream's answer at once, so everything but the sockets is run
 * as in the gateway: sampling and the pair, the primary's answer kept, the copy's request (the
 * client's bytes with the model spliced), reading and parsing the copy's answer, the comparison,
 * pricing, and the stored row (`shadowRow`, as the SQLite store sends it to the audit thread).
 *   bun bench/shadow-micro.ts [--against OTHER_CHECKOUT]
 * Environment: SHADOW_ITERATIONS (2000 pairs per round), SHADOW_ROUNDS (9),
 * SHADOW_SCENARIO=non-stream|stream for one only.
 * Prints CPU µs per pair, min–median–max over the rounds, non-stream and stream. `--against DIR`
 * loads that checkout's `src/` too and alternates rounds between the two in this one process,
 * so the machine's load hits both alike (judge by the min and the median). Compare with the
 * gateway's whole CPU per shadowed request (`bun bench/cpu-per-request.ts --shadow`).
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { JsonObject } from "../src/core/dialect.ts";
import type { ClientReply } from "../src/routing/native-reply.ts";
import type { Route } from "../src/routing/route.ts";
import type { Dispatched, DispatchRequest } from "../src/routing/router.ts";
import type { ShadowRecord } from "../src/shadow/shadow-api-schema.ts";
import type { ShadowRunner } from "../src/shadow/shadow-runner.ts";
import { SCENARIOS } from "./scenarios.ts";

const { values } = parseArgs({ options: { against: { type: "string" } } });
const iterations = Number(process.env.SHADOW_ITERATIONS ?? "2000");
const ROUNDS = Number(process.env.SHADOW_ROUNDS ?? "9");

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
const jsonParsed = JSON.parse(jsonAnswer) as JsonObject;
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

/** A shadow runner from the checkout at `root` (its own modules), storing rows as SQLite does. */
async function runnerFrom(
  root: string,
): Promise<{ name: string; runner: ShadowRunner; stored: () => number }> {
  const src = (path: string) => import(join(root, "src", path));
  const { configSchema } = await src("config/config-schema.ts");
  const { silentLogger } = await src("log/logger.ts");
  const { PriceBook } = await src("pricing/price-book.ts");
  const { createOpenAICompatibleProvider } = await src(
    "providers/openai-compatible/openai-compatible-provider.ts",
  );
  const { createShadowRunner } = await src("shadow/shadow-runner.ts");
  const { shadowRow } = await src("storage/sqlite/shadow-inserter.ts");
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
  const settings = { ...config.shadow, max_concurrent: 1024 };
  let stored = 0;
  const runner: ShadowRunner = createShadowRunner({
    settings: () => settings,
    keepAnswers: () => false,
    redact: (text: string) => text,
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
  routes.set(runner, route);
  return { name: root, runner, stored: () => stored };
}
const routes = new Map<ShadowRunner, Route>();

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

let sequence = 0;

/** One client request through the runner: sampled, its answer relayed, its record in. */
async function shadowed(runner: ShadowRunner, stream: boolean): Promise<void> {
  const route = routes.get(runner) as Route;
  const scenario = SCENARIOS[stream ? 1 : 0] as { body: JsonObject };
  const body = scenario.body;
  const requestId = `req_${++sequence}`;
  const request: DispatchRequest = {
    operation: "chat",
    body,
    model: "bench-model",
    stream,
    requestId,
    serial: sequence,
    tenant: "default",
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
  }
  // `parsed`: the gateway parses a whole answer once for its usage, shadow or not.
  else
    reply = {
      kind: "bytes",
      status: 200,
      contentType: "application/json",
      body: jsonBytes,
      parsed: jsonParsed,
    };
  const primary: Dispatched = {
    reply,
    route: "provider:fake",
    upstreamModel: "bench-model",
    attempts: 1,
    dropped: [],
    usage: () => ({ inputTokens: 12, outputTokens: 20 }),
    answeredModel: () => undefined,
  };
  const served = runner.hook({ route, sample: 1 }, request, primary);
  if (served.reply.kind === "stream") while (await served.reply.chunks.next());
  runner.finished(
    {
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
    },
    sequence,
  );
}

type Side = Awaited<ReturnType<typeof runnerFrom>>;

/** `n` requests through `side`'s runner, 32 at a time (c=32), until every pair is stored. */
async function batch(side: Side, stream: boolean, n: number): Promise<void> {
  const before = side.stored();
  for (let done = 0; done < n; done += 32)
    await Promise.all(Array.from({ length: Math.min(32, n - done) }, () => shadowed(side.runner, stream)));
  // Every copy answered and every pair compared and stored (the runner flushes every 1 ms).
  const deadline = Date.now() + 10_000;
  while (side.stored() - before < n && Date.now() < deadline) await Bun.sleep(1);
  if (side.stored() - before !== n) throw new Error(`stored ${side.stored() - before} of ${n} pairs`);
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${(s[Math.floor(s.length / 2)] ?? 0).toFixed(1)} (${(s[0] ?? 0).toFixed(1)}–${(s.at(-1) ?? 0).toFixed(1)})`;
};

const sides = [await runnerFrom(resolve(import.meta.dir, ".."))];
if (values.against) sides.push(await runnerFrom(resolve(values.against)));
console.log(
  `shadow runner, ${iterations} pairs per round, CPU µs per pair, median (min–max) of ${ROUNDS} rounds:`,
);
const only = process.env.SHADOW_SCENARIO;
for (const stream of [false, true].filter((s) => !only || only === (s ? "stream" : "non-stream"))) {
  for (const side of sides) await batch(side, stream, 2000); // warm up the JIT
  const perPair = sides.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    // A B, then B A: neither side always runs second.
    const order = round % 2 === 0 ? sides.keys() : [...sides.keys()].reverse();
    for (const i of order) {
      const start = cpuUs();
      await batch(sides[i] as Side, stream, iterations);
      perPair[i]?.push((cpuUs() - start) / iterations);
    }
  }
  for (const [i, side] of sides.entries())
    console.log(`  ${stream ? "stream    " : "non-stream"}  ${stat(perPair[i] ?? [])}  ${side.name}`);
}
for (const side of sides) await side.runner.close();
