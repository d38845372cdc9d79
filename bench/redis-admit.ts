/**
 * What admission costs Redis (issue 16): CPU of the redis-server process per admission through
 * the gateway's own shared counters (cluster/redis-counters.ts), at a steady rate like a node's.
 *   bun bench/redis-admit.ts
 * Environment: ADMIT_SECONDS (3; simulated seconds of traffic), ADMIT_RATE (6000 admissions a
 * simulated second), ADMIT_CONCURRENCY (32: requests in flight, each asking for its admission
 * when the one before it has its answer, as wrk's connections do).
 * The clock is injected: every simulated second records its tokens (as answers do) and the
 * counters first hold a full minute of token buckets, so each admission sees what a node under
 * steady load sees. Scenarios: a key with rpm only, tpm only, both; a key and its tenant.
 */

import type { SharedScope } from "../src/auth/shared-counters.ts";
import { createRedisCounters } from "../src/cluster/redis-counters.ts";
import { RedisLink } from "../src/cluster/redis-link.ts";
import { startRedis } from "../test/e2e/harness/redis-server.ts";
import { cpuSeconds } from "./cpu-time.ts";

const simulated = Number(process.env.ADMIT_SECONDS ?? "3");
const rate = Number(process.env.ADMIT_RATE ?? "6000");
const concurrency = Number(process.env.ADMIT_CONCURRENCY ?? "32");

const scope = (subject: string, limits: Partial<SharedScope>): SharedScope => ({
  subject,
  spendSubject: subject,
  rpm: undefined,
  tpm: undefined,
  budgetUsd: undefined,
  spentLocally: 0,
  ...limits,
});
const scenarios: Record<string, (run: number) => SharedScope[]> = {
  "rpm only": (run) => [scope(`key:a${run}`, { rpm: 100_000_000 })],
  "tpm only": (run) => [scope(`key:b${run}`, { tpm: 1_000_000_000 })],
  "rpm + tpm": (run) => [scope(`key:c${run}`, { rpm: 100_000_000, tpm: 1_000_000_000 })],
  "key + tenant, rpm + tpm": (run) => [
    scope(`key:d${run}`, { rpm: 100_000_000, tpm: 1_000_000_000 }),
    scope(`tenant:d${run}`, { rpm: 100_000_000, tpm: 1_000_000_000 }),
  ],
};

const redis = await startRedis();
const link = new RedisLink({ url: redis.url, timeoutMs: 5_000 });
try {
  if (!(await link.start())) throw new Error("redis did not answer");
  const counters = createRedisCounters({ link, nodeId: "bench", nodes: () => 1 });
  const pid = redis.pids()[0] ?? 0;
  console.log(`${rate} admissions a simulated second, ${concurrency} at a time, ${simulated} s measured`);
  console.log("| scenario | Redis CPU µs per admission | gateway CPU µs per admission |");
  console.log("| --- | ---: | ---: |");
  let run = 0;
  for (const [name, scopes] of Object.entries(scenarios)) {
    const these = scopes(++run);
    const start = 10_000_000_000;
    // A minute of history (every second's token bucket; a tenth of the requests, to keep the
    // run short: the request log's size only costs Redis its logarithm), then the measured seconds.
    const drive = async (fromSecond: number, seconds: number, perSecond: number) => {
      const total = seconds * perSecond;
      let next = 0;
      const client = async () => {
        while (next < total) {
          const k = next++;
          const now = start + fromSecond * 1000 + Math.floor((k * 1000) / perSecond);
          await counters.admit(these, now);
          // Each answer's tokens (recorded in a batch every few ms, as a node does).
          counters.record(
            these.filter((t) => t.tpm !== undefined).map((t) => ({ subject: t.subject, tokens: 12 })),
            [],
            now,
          );
        }
      };
      await Promise.all(Array.from({ length: concurrency }, client));
    };
    await drive(0, 60, Math.floor(rate / 10));
    await Bun.sleep(50); // the last token record
    const [r0, g0] = [await cpuSeconds(pid), await cpuSeconds(process.pid)];
    await drive(60, simulated, rate);
    const [r1, g1] = [await cpuSeconds(pid), await cpuSeconds(process.pid)];
    const per = (cpu: number) => ((cpu * 1e6) / (rate * simulated)).toFixed(1);
    console.log(`| ${name} | ${per(r1 - r0)} | ${per(g1 - g0)} |`);
  }
} finally {
  link.close();
  await redis.stop();
}
