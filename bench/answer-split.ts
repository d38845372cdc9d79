/**
 * What a stream costs the gateway's event loop beyond a non-stream request, split into the
 * answer's size and the stream's own path. One gateway binary (auth, limits, audit and metrics
 * on, as bench/ratios.ts runs it) in front of the burst upstream started with `--sizes`, loaded at
 * c=32 by wrk with four requests, in rounds whose order rotates (so that no request always follows
 * the same one):
 *   non-stream      the 384-byte answer
 *   stream          24 events, 4,193 bytes in one write
 *   small-stream    3 events, 511 bytes: the stream's path at about a non-stream answer's size
 *   padded          a non-stream answer padded to the stream's 4,193 bytes: the size on the
 *                   non-stream path
 * For each: the main thread's CPU µs a request (the event loop) and the process's minor page
 * faults a request, medians over the rounds, then each against non-stream in the same rounds.
 *   bun bench/answer-split.ts [--binary dist/mindgw] [--against OTHER_BINARY] [--seconds 2] [--rounds 6] [--warmup 2]
 * `--against` runs a second binary beside the first, alternated with it within each round.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { mainThreadCpuSeconds } from "./cpu-time.ts";
import { spawnService } from "./service.ts";
import { median, spread } from "./stats.ts";
import type { RunningTarget } from "./target.ts";
import { mindgwTarget } from "./targets.ts";
import { runWrk, type Scenario } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    binary: { type: "string", default: "dist/mindgw" },
    against: { type: "string" },
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "6" },
    warmup: { type: "string", default: "2" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

const message = { role: "user", content: "hello from the benchmark, please echo these words back" };
const request = (name: string, model: string, stream: boolean): Scenario => ({
  name,
  path: "/v1/chat/completions",
  body: stream
    ? { model, messages: [message], stream, stream_options: { include_usage: true } }
    : { model, messages: [message] },
});
const REQUESTS: readonly Scenario[] = [
  request("non-stream", "bench-model", false),
  request("stream", "bench-model", true),
  request("small-stream", "bench-model-small", true),
  request("padded", "bench-model-padded", false),
];

/** The two models `--sizes` answers differently, on the same upstream as bench-model. */
const SIZED_MODELS = `  - name: bench-model-small
    routes:
      - { provider: fake, model: bench-model-small }
  - name: bench-model-padded
    routes:
      - { provider: fake, model: bench-model-padded }
`;

/** Minor page faults of a process so far (/proc/PID/stat's tenth field after the name). */
async function minorFaults(pid: number): Promise<number> {
  const stat = await Bun.file(`/proc/${pid}/stat`).text();
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

interface Gateway {
  readonly name: string;
  readonly running: RunningTarget;
  readonly pid: number;
  /** Per request name: main-thread µs a request and faults a request, one entry a round. */
  readonly cpu: Map<string, number[]>;
  readonly faults: Map<string, number[]>;
}

const work = await mkdtemp(join(tmpdir(), "answer-split-"));
const upstream = spawnService(["bun", join(import.meta.dir, "burst-upstream.ts"), "--sizes"]);
const upstreamUrl = `http://127.0.0.1:${await upstream.portLine()}`;
const gateways: Gateway[] = [];
try {
  const binaries = [values.binary, ...(values.against ? [values.against] : [])].map((b) => resolve(b));
  for (const [k, binary] of binaries.entries()) {
    const name = binaries.length > 1 ? (k === 0 ? "this" : "against") : "mindgw";
    const running = await mindgwTarget(upstreamUrl, binary, { name, extraYaml: SIZED_MODELS }).start();
    if (running.pid === undefined) throw new Error("the gateway has no process id");
    gateways.push({ name, running, pid: running.pid, cpu: new Map(), faults: new Map() });
  }
  const load = (gateway: Gateway, scenario: Scenario, secs: number) =>
    runWrk({
      baseUrl: gateway.running.url,
      headers: gateway.running.headers,
      scenario,
      connections: 32,
      seconds: secs,
      workDir: work,
    });
  for (const gateway of gateways)
    for (const scenario of REQUESTS) {
      const warm = await load(gateway, scenario, Number(values.warmup));
      if (warm.status_errors > 0 || warm.socket_errors > 0)
        throw new Error(`${gateway.name} ${scenario.name}: ${warm.status_errors} status errors`);
    }
  for (let round = 0; round < rounds; round++) {
    // Each round starts one request later, and the gateways take turns going first.
    const order = REQUESTS.map((_, k) => REQUESTS[(k + round) % REQUESTS.length] as Scenario);
    const turn = round % 2 === 0 ? gateways : [...gateways].reverse();
    for (const scenario of order)
      for (const gateway of turn) {
        const cpu0 = await mainThreadCpuSeconds(gateway.pid);
        const faults0 = await minorFaults(gateway.pid);
        const result = await load(gateway, scenario, seconds);
        const cpu = ((await mainThreadCpuSeconds(gateway.pid)) - cpu0) / result.requests;
        const faults = ((await minorFaults(gateway.pid)) - faults0) / result.requests;
        const load1 = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
        console.log(
          `round ${round + 1} ${gateway.name} ${scenario.name}: ${Math.round(result.rps)} req/s, main thread ${(cpu * 1e6).toFixed(1)} µs, ${faults.toFixed(2)} faults a request (load ${load1})`,
        );
        for (const [map, value] of [
          [gateway.cpu, cpu * 1e6],
          [gateway.faults, faults],
        ] as const)
          map.set(scenario.name, [...(map.get(scenario.name) ?? []), value]);
      }
  }
  for (const gateway of gateways) {
    console.log(`\n${gateway.name}: main thread µs a request, median (min–max) over ${rounds} rounds`);
    const base = gateway.cpu.get("non-stream") ?? [];
    for (const scenario of REQUESTS) {
      const cpu = gateway.cpu.get(scenario.name) ?? [];
      // Paired with the same round's non-stream request: the rounds' load moves both alike.
      const over = cpu.map((x, k) => x - (base[k] ?? Number.NaN));
      const faults = median(gateway.faults.get(scenario.name) ?? []).toFixed(2);
      const extra = scenario.name === "non-stream" ? "" : `, over non-stream ${spread(over, 1)}`;
      console.log(`  ${scenario.name.padEnd(12)} ${spread(cpu, 1)}${extra}; ${faults} faults a request`);
    }
  }
} finally {
  for (const gateway of gateways) await gateway.running.stop();
  await upstream.stop();
  await rm(work, { recursive: true, force: true });
}
