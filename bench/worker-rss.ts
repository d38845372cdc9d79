/**
 * Gateway memory with 200 concurrent open streams through one worker connection.
 *   bun run build && bun bench/worker-rss.ts
 * Environment: BENCH_STREAMS (200), MINDGW_BIN (dist/mindgw). Prints one markdown table.
 * Each stream is held open by the fake (30 chunks, 300 ms apart) while RSS is sampled.
 */
import { join } from "node:path";
import { rssKib } from "./service.ts";
import { mindgwTarget, startFake } from "./targets.ts";

const ROOT = join(import.meta.dir, "..");
const streams = Number(process.env.BENCH_STREAMS ?? "200");
const binary = process.env.MINDGW_BIN ?? join(ROOT, "dist/mindgw");
const mib = (kib: number | undefined) => (kib === undefined ? "–" : `${(kib / 1024).toFixed(1)} MiB`);

process.on("SIGINT", () => process.exit(130));

async function main(): Promise<void> {
  const fake = await startFake();
  const target = await mindgwTarget(fake.url, binary, { name: "mindgw-worker", via: "worker" }).start();
  const abort = new AbortController();
  try {
    const gatewayPid = target.pid ?? 0;
    const workerPid = target.workerPid ?? 0;
    const idle = { gateway: await rssKib(gatewayPid), worker: await rssKib(workerPid) };
    let open = 0;
    const body = JSON.stringify({
      model: "bench-model",
      stream: true,
      messages: [{ role: "user", content: "hold this stream open [[fake:chunks=30,chunk-delay=300]]" }],
    });
    const done = Array.from({ length: streams }, async () => {
      const res = await fetch(`${target.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...target.headers },
        body,
        signal: abort.signal,
      });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      open++;
      while (!(await reader.read()).done) {}
    });
    const deadline = Date.now() + 30_000;
    while (open < streams && Date.now() < deadline) await Bun.sleep(20);
    if (open < streams) throw new Error(`only ${open} of ${streams} streams opened`);
    // All are open and still streaming: sample for two seconds, keep the peak.
    const peak = { gateway: 0, worker: 0 };
    for (let i = 0; i < 20; i++) {
      peak.gateway = Math.max(peak.gateway, (await rssKib(gatewayPid)) ?? 0);
      peak.worker = Math.max(peak.worker, (await rssKib(workerPid)) ?? 0);
      await Bun.sleep(100);
    }
    await Promise.all(done);
    console.log(
      [
        `## ${streams} concurrent open streams through one worker (Bun ${Bun.version})`,
        "",
        "| process | idle (after warm-up probe) | peak with all streams open |",
        "| --- | ---: | ---: |",
        `| gateway (mindgw serve) | ${mib(idle.gateway)} | ${mib(peak.gateway)} |`,
        `| worker (mindgw worker) | ${mib(idle.worker)} | ${mib(peak.worker)} |`,
        "",
      ].join("\n"),
    );
  } finally {
    abort.abort();
    await target.stop();
    await fake.stop();
  }
}

await main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
