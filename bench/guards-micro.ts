/**
 * What issue 12's per-request guards cost, in process: they cannot be switched off in the gateway
 * (a deployment without them is exposed), so each is measured alone over recorded request bodies
 * (the fuzz seed corpus, the benchmark's own chat body, and a 40-message agent turn):
 *   - depth: the nesting-depth scan over the body bytes (http/json-depth.ts);
 *   - read: the whole bounded body read with its deadline timer (http/read-json-body.ts), against
 *     the floor of the same read without any guard (arrayBuffer + JSON.parse); the difference is
 *     the deadline timer, the race and the depth scan together;
 *   - slots: one request in and out of the per-address count (http/client-slots.ts).
 *   bun bench/guards-micro.ts            (GUARD_ITERATIONS, default 20000 per body per round)
 * Prints CPU µs per request for each, min–median–max over 5 rounds. Compare the sum with the
 * gateway's whole CPU per request (`bench/ab.ts`, docs/BENCHMARKS-HISTORY.md: ~200 µs non-stream).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ClientSlots } from "../src/http/client-slots.ts";
import { nestsDeeperThan } from "../src/http/json-depth.ts";
import { readJsonRequest } from "../src/http/read-json-body.ts";
import { SCENARIOS } from "./scenarios.ts";

const iterations = Number(process.env.GUARD_ITERATIONS ?? "20000");
const ROUNDS = 5;
const CORPUS = join(import.meta.dir, "../test/fuzz/corpus/bodies");

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const agentTurn = {
  model: "bench-model",
  stream: true,
  messages: Array.from({ length: 40 }, (_, i) => ({
    role: i % 2 ? "assistant" : "user",
    content: `turn ${i}: ${"a sentence of ordinary prose about the task at hand. ".repeat(6)}`,
  })),
  tools: [{ type: "function", function: { name: "run", parameters: { type: "object", properties: {} } } }],
};
const bodies: [string, Uint8Array<ArrayBuffer>][] = [
  ...readdirSync(CORPUS).map(
    (file) =>
      [`corpus/${file}`, new Uint8Array(readFileSync(join(CORPUS, file)))] as [
        string,
        Uint8Array<ArrayBuffer>,
      ],
  ),
  ...SCENARIOS.map((s) => [`bench ${s.name}`, encode(s.body)] as [string, Uint8Array<ArrayBuffer>]),
  ["agent turn (40 messages)", encode(agentTurn)],
];

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** CPU µs per call of `run`, min–median–max over the rounds. */
async function measure(run: () => unknown | Promise<unknown>): Promise<[number, number, number]> {
  for (let i = 0; i < 1000; i++) await run(); // warm up the JIT
  const perCall: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = cpuUs();
    for (let i = 0; i < iterations; i++) await run();
    perCall.push((cpuUs() - start) / iterations);
  }
  perCall.sort((a, b) => a - b);
  return [perCall[0] ?? 0, perCall[Math.floor(ROUNDS / 2)] ?? 0, perCall[ROUNDS - 1] ?? 0];
}

const requestOf = (bytes: Uint8Array<ArrayBuffer>) =>
  new Request("http://localhost/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(bytes.byteLength) },
    body: bytes,
  });

const fmt = ([min, med, max]: [number, number, number]) =>
  `${med.toFixed(2)} (${min.toFixed(2)}–${max.toFixed(2)})`;

console.log(
  `# per-request guards, CPU µs per request, median (min–max) of ${ROUNDS} rounds × ${iterations}\n`,
);
console.log("| body | bytes | depth scan | body read, guarded | body read, floor | guards in the read |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const [name, bytes] of bodies) {
  const depth = await measure(() => nestsDeeperThan(bytes));
  const guarded = await measure(() => readJsonRequest(requestOf(bytes), 10 * 1024 * 1024, 30_000));
  const floor = await measure(async () => {
    const request = requestOf(bytes);
    return JSON.parse(new TextDecoder().decode(await request.arrayBuffer()));
  });
  console.log(
    `| ${name} | ${bytes.byteLength} | ${fmt(depth)} | ${fmt(guarded)} | ${fmt(floor)} | ${(guarded[1] - floor[1]).toFixed(2)} |`,
  );
}

// 1,000 client addresses, each request in and out, with a cap set (the check runs).
const slots = new ClientSlots();
const addresses = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
let next = 0;
const slot = await measure(() => {
  const address = addresses[next++ % addresses.length] ?? null;
  slots.enter(address, 64);
  slots.leave(address);
});
console.log(`\nper-address count (enter + leave): ${fmt(slot)} µs per request`);
