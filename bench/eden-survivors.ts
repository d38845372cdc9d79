/**
 * What a young (eden) collection keeps alive of requests already answered: the gateway in library
 * form (bench/embedded-gateway.ts --gc-probe, MINDGW_UPSTREAM_CLIENT as set here) in front of the
 * burst upstream is warmed at c=32, fully collected, sent N requests at concurrency C and, with
 * all of them answered (nothing in flight), collected young. The cells live then that were not
 * after the full collection, by class, are what young collections mark and promote for every
 * request; a bare proxy keeps none (docs/BENCHMARKS-HISTORY.md, session 11's young collections).
 *   bun bench/eden-survivors.ts [--requests 2000] [--concurrency 8] [--auth off] [--audit off]
 * Prints one JSON line: the survivors by class, and per request.
 */
import { parseArgs } from "node:util";
import { spawnService } from "./service.ts";
import { startBurst } from "./targets.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "8" },
    auth: { type: "string", default: "off" },
    audit: { type: "string", default: "off" },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);

const upstream = await startBurst();
const gateway = spawnService([
  "bun",
  `${import.meta.dir}/embedded-gateway.ts`,
  ...["--upstream", upstream.url, "--auth", String(values.auth), "--audit", String(values.audit)],
  "--gc-probe",
]);
try {
  const url = `http://127.0.0.1:${await gateway.portLine(20_000)}/v1/chat/completions`;
  const key = gateway.output().match(/\{"key":"([^"]+)"\}/)?.[1] ?? "";
  const init = {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "hi" }] }),
  };
  /** `count` requests, `lanes` at a time, each read to its end; or until `until` (ms since epoch). */
  const send = async (count: number, lanes: number, until = Number.POSITIVE_INFINITY) => {
    let left = count;
    const lane = async () => {
      while (left-- > 0 && Date.now() < until) {
        const response = await fetch(url, init);
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`the gateway answered ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  };
  /** The probe's next line of `kind` after `seen` of them, within a deadline. */
  const probeLine = async (kind: string, seen: number) => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const lines = gateway
        .output()
        .split("\n")
        .filter((line) => line.startsWith(`{"gcProbe":"${kind}"`));
      if (lines.length > seen) return lines[seen] ?? "";
      await Bun.sleep(10);
    }
    throw new Error(`no ${kind} line from the gateway's probe`);
  };
  // Warm (the JIT tiers, the pools), as a c=32 benchmark would have it.
  await send(Number.POSITIVE_INFINITY, 32, Date.now() + 3_000);
  process.kill(gateway.pid, "SIGUSR2");
  await probeLine("noted", 0);
  await send(requests, concurrency);
  process.kill(gateway.pid, "SIGUSR1");
  const eden = JSON.parse(await probeLine("eden", 0)) as { ms: number; survivors: Record<string, number> };
  const perRequest = Object.fromEntries(
    Object.entries(eden.survivors).map(([name, count]) => [name, Number((count / requests).toFixed(3))]),
  );
  console.log(
    JSON.stringify({ requests, concurrency, edenMs: eden.ms, survivors: eden.survivors, perRequest }),
  );
} finally {
  await gateway.stop();
  await upstream.stop();
}
