import type { Principal } from "../src/auth/principal.ts";
import { RateLimiter } from "../src/auth/rate-limiter.ts";

/**
 * What a non-stream answer's `x-ratelimit-*-tokens` headers cost when brought up to date after its
 * charge (`RateLimiter.record` given the answer's headers, limit-headers.ts `chargedTokenHeaders`),
 * beside the same admission and charge without it: a key with rpm and tpm (as bench/mindgw-key.ts
 * mints), admitted and charged in a loop, the two ways alternated in cycles.
 *   bun bench/charge-headers-micro.ts [requests a cycle, 200000] [cycles, 8]
 */
const perCycle = Number(process.argv[2] ?? 200_000);
const cycles = Number(process.argv[3] ?? 8);
const principal: Principal = {
  keyId: "key_a",
  name: "bench",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: { rpm: 1_000_000_000, tpm: 1_000_000_000_000 },
  via: "key",
};
const usage = { inputTokens: 12, outputTokens: 9 };

function run(limiter: RateLimiter, withHeaders: boolean): number {
  const started = Bun.nanoseconds();
  for (let i = 0; i < perCycle; i++) {
    const headers: Record<string, string> = {};
    limiter.admit(principal, "m", undefined, headers);
    limiter.record(principal, "m", usage, undefined, undefined, withHeaders ? headers : undefined);
  }
  return (Bun.nanoseconds() - started) / perCycle;
}

const without = new RateLimiter();
const withIt = new RateLimiter();
run(without, false);
run(withIt, true);
const diffs: number[] = [];
for (let cycle = 0; cycle < cycles; cycle++) {
  const a = run(without, false);
  const b = run(withIt, true);
  diffs.push(b - a);
  console.log(
    `cycle ${cycle + 1}: without ${a.toFixed(0)} ns, with the headers brought up to date ${b.toFixed(0)} ns`,
  );
}
diffs.sort((x, y) => x - y);
console.log(`the headers' update: median ${diffs[Math.floor(diffs.length / 2)]?.toFixed(0)} ns a request`);
