/**
 * What tracing costs per request, in CPU: the library form (`createGateway()`) in this process
 * with the fake upstream and a discarding OTLP sink beside it, 16 clients in a loop, and the
 * process's own CPU time per request (client and fake included, so compare runs, not absolutes).
 *   bun bench/trace-cost.ts off|on [requests]
 * `on` exports every request (or what OTEL_TRACES_SAMPLER / _ARG sample) over OTLP/HTTP.
 * Prints one line: `<mode> <sampler> cpu-us-per-request <n> main-thread <n> exported-bytes <n>`
 * (main-thread: the event loop's own CPU per request, without the audit and export threads;
 * exported-bytes is counted after shutdown,
 * so a sink that got nothing shows 0).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../src/config/load-config.ts";
import { createGateway } from "../src/gateway/create-gateway.ts";
import { silentLogger } from "../src/log/logger.ts";
import { startTracing } from "../src/telemetry/tracing/start-tracing.ts";
import { startFakeUpstream } from "../test/fake-upstream/fake-upstream.ts";
import { mainThreadCpuSeconds } from "./cpu-time.ts";

const mode = process.argv[2] ?? "off";
const total = Number(process.argv[3] ?? "6000");
const fake = await startFakeUpstream({ record: false });
let exported = 0;
const sink = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    exported += (await request.arrayBuffer()).byteLength;
    return new Response(null);
  },
});
// The SDK reads process.env itself (not startTracing's env argument), so the sink goes there.
if (mode === "on") process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sink.port}`;
else delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const env = process.env;
const tracing = await startTracing("trace-cost", silentLogger, env);
const dir = await mkdtemp(join(tmpdir(), "mindgw-trace-cost-"));
let key = "";
const gateway = await createGateway({
  config: parseConfig({
    storage: { path: join(dir, "mindgw.db") },
    providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
    models: [{ name: "m", routes: [{ provider: "fake", model: "m" }] }],
  }),
  logger: silentLogger,
  ...(tracing ? { tracing } : {}),
  onBootstrapKey: (plain) => {
    key = plain;
  },
});
const { port } = gateway.listen("127.0.0.1", 0);
const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };

/** CPU µs per request: the whole process, and its main thread (the event loop) alone. */
async function run(requests: number): Promise<{ process: number; main: number }> {
  const before = process.cpuUsage();
  const mainBefore = await mainThreadCpuSeconds(process.pid);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = 0; i < requests / 16; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          method: "POST",
          headers,
          body,
        });
        await res.text();
      }
    }),
  );
  const used = process.cpuUsage(before);
  const main = ((await mainThreadCpuSeconds(process.pid)) - mainBefore) * 1e6;
  return { process: (used.user + used.system) / requests, main: main / requests };
}

await run(Math.min(2000, total));
const perRequest = await run(total);
const sampler =
  mode === "on"
    ? `${env.OTEL_TRACES_SAMPLER ?? "parentbased_always_on"}:${env.OTEL_TRACES_SAMPLER_ARG ?? "-"}`
    : "-";
await gateway.stop();
await tracing?.shutdown();
console.log(
  `${mode} ${sampler} cpu-us-per-request ${perRequest.process.toFixed(1)} main-thread ${perRequest.main.toFixed(1)} exported-bytes ${exported}`,
);
await fake.stop();
sink.stop(true);
await rm(dir, { recursive: true, force: true });
process.exit(0);
