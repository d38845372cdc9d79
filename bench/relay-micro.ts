/**
 * The stream relay's own cost, in process, without sockets: one 20-event chat stream (written by
 * the upstream in one piece, as the gateway-bound bench fake does) relayed to client bytes,
 * (a) as events — decoded, metered, re-encoded and written one event per pull, the path a
 * translated stream still takes — and (b) as bytes through the scanner (routing/byte-relay.ts).
 *   bun bench/relay-micro.ts            (RELAY_STREAMS, default 20000)
 * Prints CPU µs per stream for each path, min–median–max over 5 rounds, and the floor: the same
 * read with no relay logic at all.
 */
import { SseDecoder, type SseEvent } from "../src/core/sse.ts";
import { Attempt } from "../src/routing/attempt.ts";
import { ByteRelay } from "../src/routing/byte-relay.ts";
import { EventChunks, EventReader } from "../src/routing/event-chunks.ts";
import { StreamUsageMeter } from "../src/translate/stream-usage-meter.ts";

const streams = Number(process.env.RELAY_STREAMS ?? "20000");
const chunk = (i: number) =>
  `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{"content":"word${i} "},"finish_reason":null}],"usage":null}\n\n`;
const usage =
  'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":20,"total_tokens":29}}\n\n';
const body = new TextEncoder().encode(
  `${Array.from({ length: 19 }, (_, i) => chunk(i)).join("")}${usage}data: [DONE]\n\n`,
);
const timeouts = { connectMs: 60_000, firstByteMs: 60_000, idleMs: 60_000 };

const upstream = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body);
      controller.close();
    },
  });

async function* decoded(stream: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new SseDecoder();
  for await (const part of stream) yield* decoder.push(part);
  yield* decoder.end();
}

async function viaEvents(): Promise<number> {
  const attempt = new Attempt(new AbortController().signal, timeouts, "bench");
  const meter = new StreamUsageMeter("openai");
  const reader = new EventReader(decoded(upstream())[Symbol.asyncIterator](), attempt, (event) => {
    meter.observe(event);
    return true;
  });
  const chunks = new EventChunks(await reader.next(), reader, attempt, () => {}, "bench");
  let bytes = 0;
  for (let next = await chunks.next(); next; next = await chunks.next()) bytes += next.length;
  return bytes;
}

async function viaBytes(): Promise<number> {
  const attempt = new Attempt(new AbortController().signal, timeouts, "bench");
  const meter = new StreamUsageMeter("openai");
  const relay = new ByteRelay(upstream().getReader(), attempt, {
    provider: "bench",
    maxLine: 1 << 20,
    onUsage: (event) => {
      meter.observe(event);
      return true;
    },
    done: () => {},
  });
  await relay.start();
  let bytes = 0;
  for (let next = await relay.next(); next; next = await relay.next()) bytes += next.length;
  return bytes;
}

/** The floor: the same upstream read under an attempt, bytes passed on untouched. */
async function bare(): Promise<number> {
  const attempt = new Attempt(new AbortController().signal, timeouts, "bench");
  const reader = upstream().getReader();
  let bytes = 0;
  for (let next = await attempt.read(reader.read()); !next.done; next = await attempt.read(reader.read()))
    bytes += next.value.length;
  return bytes;
}

/** CPU time (user + system) per stream: on a shared machine, less noisy than wall time. */
async function measure(run: () => Promise<number>): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < streams; i++) await run();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / streams;
}

const rounds = { events: [] as number[], bytes: [] as number[], bare: [] as number[] };
await measure(viaEvents);
await measure(viaBytes);
await measure(bare);
for (let round = 0; round < 5; round++) {
  rounds.events.push(await measure(viaEvents));
  rounds.bytes.push(await measure(viaBytes));
  rounds.bare.push(await measure(bare));
}
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0]?.toFixed(1)}–${s[2]?.toFixed(1)}–${s[4]?.toFixed(1)} µs`;
};
console.log(
  `relay of one 20-event stream, ${streams} streams × 5 rounds (CPU µs per stream, min–median–max)`,
);
console.log(`events (decode, meter, encode per event): ${summary(rounds.events)}`);
console.log(`bytes (scanner, usage event only):        ${summary(rounds.bytes)}`);
console.log(`floor (read under the attempt, no scan):  ${summary(rounds.bare)}`);
