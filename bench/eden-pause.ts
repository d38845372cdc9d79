/**
 * The pause of one young (eden) collection that follows N answered requests, and its sweep, gateways side by side.
 * Each gateway (bench/embedded-gateway.ts --gc-probe, of this checkout, of `--against DIR`, or of
 * this checkout with the environment of a `--variant`) is warmed at c=32; then, round by round and
 * gateway by gateway: a full collection, N requests at concurrency C (all answered), and one eden
 * collection timed in the gateway (bench/gc-probe.ts). Automatic collections are held off (a
 * large heap budget and a slow eden timer, the same for every gateway), so the timed one collects
 * everything the N requests left; a round where one ran anyway is reported and left out.
 *   bun bench/eden-pause.ts [--requests 300] [--concurrency 1] [--rounds 7] [--against DIR]
 *     [--variant "NAME=VALUE …"]… [--auth on|off] [--audit on|off] [--rt] [--content-bytes N]
 * Why it exists: under wrk the eden pause at c=1 is read from `BUN_JSC_logGC` pauses whose timing
 * the machine's load blurs (±30 %) and whose content (how many requests, which stack) varies;
 * here each pause covers the same requests, taken from the same shallow stack, and the gateways
 * alternate within seconds. N=10 against N=3000 separates what any request touches from what each
 * one adds (docs/BENCHMARKS-HISTORY.md, session 13's young-collection section).
 * `--rt` runs the gateways under SCHED_RR priority 1 (`chrt`, root only), as bench/c1-latency.ts.
 * `--content-bytes N`: the user message's content that long (a request body of about N bytes).
 * Each line also gives the sweep that follows the timed collection: the event loop's longest stall
 * in the 150 ms after it (bench/gc-probe.ts), JSC sweeping 100 ms after a collection what the
 * allocator has not swept; idle, that is every block the collection left unswept.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Service, spawnService } from "./service.ts";
import { spread } from "./stats.ts";
import { startBurst } from "./targets.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    concurrency: { type: "string", default: "1" },
    rounds: { type: "string", default: "7" },
    against: { type: "string" },
    variant: { type: "string", multiple: true, default: [] },
    auth: { type: "string", default: "off" },
    audit: { type: "string", default: "off" },
    rt: { type: "boolean", default: false },
    "content-bytes": { type: "string", default: "2" },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const content = "hi".padEnd(Number(values["content-bytes"]), ".");

/**
 * No automatic collection in a round: JSC's eden budget follows the heap size it is given (1 GiB:
 * a round of a few thousand requests allocates tens of MB), its eden timer's delay grows as the
 * CPU share it may take shrinks, and Bun's own collection timer (which asks for a collection ~16
 * ms after the heap grew) is off.
 */
const HOLD_OFF_COLLECTIONS = {
  BUN_JSC_largeHeapSize: String(1 << 30),
  BUN_JSC_percentCPUPerMBForEdenTimer: "0.0000001",
  BUN_GC_TIMER_DISABLE: "1",
};

interface Gateway {
  readonly label: string;
  readonly service: Service;
  url: string;
  key: string;
  readonly pauses: number[];
  readonly sweeps: number[];
  skipped: number;
  probeLines: number;
}

function environmentOf(variant: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of variant.split(" ").filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`--variant: expected NAME=VALUE pairs, got ${pair}`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

const upstream = await startBurst();
const start = (checkout: string, label: string, env: Record<string, string>): Gateway => {
  const command = [
    ...(values.rt ? ["chrt", "-r", "1"] : []),
    "bun",
    `${checkout}/bench/embedded-gateway.ts`,
    ...["--upstream", upstream.url, "--auth", String(values.auth), "--audit", String(values.audit)],
    "--gc-probe",
  ];
  const service = spawnService(command, { env: { ...HOLD_OFF_COLLECTIONS, ...env } });
  return { label, service, url: "", key: "", pauses: [], sweeps: [], skipped: 0, probeLines: 0 };
};
const here = resolve(import.meta.dir, "..");
const gateways = [start(here, "this checkout", {})];
if (values.against) gateways.push(start(resolve(values.against), values.against, {}));
for (const variant of values.variant)
  gateways.push(start(here, `this checkout, ${variant}`, environmentOf(variant)));

/** `count` requests, `lanes` at a time, each read to its end; or until `until` (ms since epoch). */
async function send(gateway: Gateway, count: number, lanes: number, until = Number.POSITIVE_INFINITY) {
  const init = {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${gateway.key}` },
    body: JSON.stringify({ model: "bench-model", messages: [{ role: "user", content }] }),
  };
  let left = count;
  const lane = async () => {
    while (left-- > 0 && Date.now() < until) {
      const response = await fetch(gateway.url, init);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${gateway.label} answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

/** The gateway's next probe line (`noted`, then `eden`, in turn), within a deadline. */
async function nextProbeLine(gateway: Gateway): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const lines = gateway.service
      .output()
      .split("\n")
      .filter((line) => line.startsWith('{"gcProbe":'));
    const line = lines[gateway.probeLines];
    if (line !== undefined) {
      gateway.probeLines++;
      return line;
    }
    await Bun.sleep(5);
  }
  throw new Error(`no probe line from ${gateway.label}`);
}

try {
  for (const gateway of gateways) {
    const port = await gateway.service.portLine(20_000);
    gateway.url = `http://127.0.0.1:${port}/v1/chat/completions`;
    gateway.key = gateway.service.output().match(/\{"key":"([^"]+)"\}/)?.[1] ?? "";
  }
  // Warm (the JIT tiers, the pools), as a c=32 benchmark would have it.
  for (const gateway of gateways) await send(gateway, Number.POSITIVE_INFINITY, 32, Date.now() + 3_000);
  for (let round = 0; round < rounds; round++) {
    for (const gateway of gateways) {
      process.kill(gateway.service.pid, "SIGUSR2");
      await nextProbeLine(gateway);
      await send(gateway, requests, concurrency);
      process.kill(gateway.service.pid, "SIGUSR1");
      const eden = JSON.parse(await nextProbeLine(gateway)) as {
        ms: number;
        sweepMs: number;
        collectedBefore?: boolean;
      };
      if (eden.collectedBefore) gateway.skipped++;
      else {
        gateway.pauses.push(eden.ms);
        gateway.sweeps.push(eden.sweepMs);
      }
    }
  }
  for (const gateway of gateways) {
    const skipped = gateway.skipped ? `; ${gateway.skipped} rounds left out (a collection ran in them)` : "";
    console.log(
      `${gateway.label}: eden pause after ${requests} requests at c=${concurrency}: ` +
        `${gateway.pauses.length ? spread(gateway.pauses, 3) : "–"} ms, then its sweep ${gateway.sweeps.length ? spread(gateway.sweeps, 3) : "–"} ms, over ${gateway.pauses.length} rounds${skipped}`,
    );
  }
} finally {
  for (const gateway of gateways) await gateway.service.stop();
  await upstream.stop();
}
