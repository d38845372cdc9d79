/**
 * Calls into Bun's and JavaScriptCore's builtins a request: the gateway from source (`bun src/main.ts
 * serve`, auth + limits + audit + metrics on, as bench/cpu-per-request.ts runs it) with
 * bench/calls-preload.ts preloaded, in front of the burst upstream, under `wrk -t2 -c32`. Counts
 * are deterministic where CPU time on a shared machine is not: a clock read, a header read or a
 * promise with resolvers less a request shows here exactly. Each crossing costs ~0.03–0.1 µs
 * (a clock read ~70–110 ns on this virtual machine: docs/BENCHMARKS-HISTORY.md, session 16).
 *   bun bench/calls-per-request.ts [--seconds 3] [--warmup 3] [--scenario non-stream|stream] [--sites] [--metrics-off] [--traced]
 *     [--front openai|anthropic|responses|chat-anthropic|both|all,…]
 * Prints, per scenario, each builtin's calls a request (requests counted by `server.requestIP`,
 * one a model request), and with `--sites` where they are called from (one call in seven sampled).
 * `--front` names the front doors as bench/cpu-per-request.ts does (`anthropic`: `/v1/messages`,
 * `responses`, `chat-anthropic`: the OpenAI loads on an Anthropic upstream; bench/scenarios.ts).
 * `--metrics-off` runs the gateway with `metrics: { enabled: false }` (issue 13: a run with and one
 * without say what metrics call a request). `--traced` has it trace every request and export them
 * (`traceidratio` 1.0, OTLP/HTTP to bench/otlp-sink.ts, as bench/ab.ts's `mindgw-traced`): a run with
 * and one without say what a traced request calls on the event loop.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createBenchKey } from "./mindgw-key.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { frontScenarios } from "./scenarios.ts";
import { freePort, spawnService, waitForHttp } from "./service.ts";
import { configYaml, DEPLOYED_ENV, startBurst } from "./targets.ts";
import { runWrk } from "./wrk.ts";

const ROOT = join(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    warmup: { type: "string", default: "3" },
    scenario: { type: "string" },
    front: { type: "string", default: "openai" },
    sites: { type: "boolean", default: false },
    "metrics-off": { type: "boolean", default: false },
    traced: { type: "boolean", default: false },
  },
});
const scenarios = frontScenarios(values.front).filter(
  (s) => values.scenario === undefined || s.name === values.scenario,
);

interface Counted {
  counts: Record<string, number>;
  sites: Record<string, number>;
}

const dir = await mkdtemp(join(tmpdir(), "calls-per-request-"));
const burst = await startBurst();
const sink = values.traced ? await startOtlpSink({ stderrPath: join(dir, "sink.log") }) : undefined;
const tracing: Record<string, string> = sink
  ? {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_TRACES_SAMPLER: "traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "1.0",
    }
  : {};
const gatewayCommand = [
  "bun",
  "--preload",
  join(import.meta.dir, "calls-preload.ts"),
  join(ROOT, "src/main.ts"),
];
try {
  const port = freePort();
  const config = join(dir, "config", "config.yaml");
  await mkdir(join(dir, "config"), { recursive: true });
  await writeFile(
    config,
    configYaml(port, dir, burst.url, {
      name: "mindgw",
      ...(values["metrics-off"] ? { extraYaml: "metrics: { enabled: false }" } : {}),
    }),
  );
  const key = await createBenchKey(["bun", join(ROOT, "src/main.ts")], config);
  if (!key) throw new Error("could not create a bench key");
  const out = join(dir, "calls.json");
  const gateway = spawnService([...gatewayCommand, "serve", "-c", config], {
    // The allocator as the binary runs it (src/cli/allocator-settings.ts).
    env: { ...DEPLOYED_ENV, CALLS_OUT: out, ...tracing },
    stderrPath: join(dir, "stderr.log"),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`);
    /** What the gateway counted since the last call (it writes on SIGUSR2). */
    const collect = async (): Promise<Counted> => {
      await rm(out, { force: true });
      process.kill(gateway.pid, "SIGUSR2");
      for (let tries = 0; tries < 200; tries++) {
        const text = await readFile(out, "utf8").catch(() => "");
        if (text) return JSON.parse(text) as Counted;
        await Bun.sleep(10);
      }
      throw new Error("the gateway wrote no counts");
    };
    const headers = { authorization: `Bearer ${key}` };
    for (const scenario of scenarios) {
      const load = (seconds: number) =>
        runWrk({ baseUrl: url, headers, scenario, connections: 32, seconds, workDir: dir });
      await load(Number(values.warmup));
      await collect();
      const result = await load(Number(values.seconds));
      const counted = await collect();
      const requests = counted.counts["server.requestIP"] ?? 0;
      if (requests === 0) throw new Error(`${scenario.name}: no request was counted`);
      console.log(`\n${scenario.name}: ${requests} requests (wrk: ${result.requests}), calls a request`);
      console.log("| builtin | calls a request |\n| --- | ---: |");
      for (const [name, n] of Object.entries(counted.counts).sort((a, b) => b[1] - a[1]))
        console.log(`| ${name} | ${(n / requests).toFixed(n / requests < 0.1 ? 4 : 2)} |`);
      if (!values.sites) continue;
      console.log(`\n${scenario.name}: where (calls a request, one call in seven sampled)`);
      for (const [site, n] of Object.entries(counted.sites).sort((a, b) => b[1] - a[1]))
        if (n / requests >= 0.05) console.log(`${(n / requests).toFixed(2).padStart(6)}  ${site}`);
    }
  } finally {
    await gateway.stop();
  }
} finally {
  await burst.stop();
  await sink?.stop();
  await rm(dir, { recursive: true, force: true });
}
