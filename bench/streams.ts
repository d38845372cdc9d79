/**
 * Many concurrent streams (issue 11, deliverable 5): N streams held open at once, directly at
 * the fake, through the gateway, and through one worker connection; then RSS under a mixed load.
 *   bun run build && bun bench/streams.ts
 * Environment: BENCH_STREAMS (512), BENCH_CHUNKS (40), BENCH_CHUNK_MS (100),
 * BENCH_MIXED_SECONDS (60; 600 for the 10-minute curve), BENCH_MIXED_STREAMS (128) and
 * BENCH_MIXED_PLAIN (16) concurrent loops in the mixed load, MINDGW_BIN (dist/mindgw),
 * BENCH_TARGETS (direct,mindgw,mindgw-worker). Prints markdown tables.
 *
 * This process is the client, and Bun's own `fetch` would queue past 256 requests: it re-runs
 * itself with BUN_CONFIG_MAX_HTTP_REQUESTS set (Bun reads it only at start).
 */
import { join } from "node:path";
import { rssKib } from "./service.ts";
import type { RunningTarget } from "./target.ts";
import { directTarget, mindgwTarget, startFake } from "./targets.ts";

if (!process.env.BUN_CONFIG_MAX_HTTP_REQUESTS) {
  const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "8192" },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.on("SIGINT", () => child.kill("SIGINT"));
  process.exit(await child.exited);
}

const ROOT = join(import.meta.dir, "..");
const env = process.env;
const streams = Number(env.BENCH_STREAMS ?? "512");
const chunks = Number(env.BENCH_CHUNKS ?? "40");
const chunkMs = Number(env.BENCH_CHUNK_MS ?? "100");
const mixedSeconds = Number(env.BENCH_MIXED_SECONDS ?? "60");
const mixedStreams = Number(env.BENCH_MIXED_STREAMS ?? "128");
const mixedPlain = Number(env.BENCH_MIXED_PLAIN ?? "16");
const binary = env.MINDGW_BIN ?? join(ROOT, "dist/mindgw");
const wanted = (env.BENCH_TARGETS ?? "direct,mindgw,mindgw-worker").split(",");

const mib = (kib: number | undefined) => (kib === undefined ? "–" : (kib / 1024).toFixed(1));
const ms = (v: number) => v.toFixed(1);
const quantile = (sorted: number[], q: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);

interface StreamResult {
  ttft: number;
  /** Longest silence between two reads of the body once it started. */
  maxGap: number;
  /** Time at which the stream was half read: with every stream progressing, all are close. */
  half: number;
  ok: boolean;
}

function streamBody(n: number, delay: number): string {
  return JSON.stringify({
    model: "bench-model",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: `many streams [[fake:chunks=${n},chunk-delay=${delay}]]` }],
  });
}

/** One stream: the time to its first content chunk, and the longest pause while it ran. */
async function oneStream(target: RunningTarget, body: string, signal: AbortSignal): Promise<StreamResult> {
  const start = performance.now();
  const res = await fetch(`${target.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body,
    signal,
  });
  if (res.status !== 200 || !res.body) {
    await res.text().catch(() => "");
    return { ttft: Number.NaN, maxGap: Number.NaN, half: Number.NaN, ok: false };
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let ttft = Number.NaN;
  let last = 0;
  let maxGap = 0;
  let seen = 0;
  let half = Number.NaN;
  for (;;) {
    const { done, value } = await reader.read();
    const now = performance.now() - start;
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    if (Number.isNaN(ttft)) {
      if (!text.includes('"content"')) continue;
      ttft = now;
    } else maxGap = Math.max(maxGap, now - last);
    last = now;
    seen += text.split('"content"').length - 1;
    if (Number.isNaN(half) && seen >= chunks / 2) half = now;
  }
  return { ttft, maxGap, half, ok: !Number.isNaN(ttft) };
}

/** N streams at once; RSS of the target's processes sampled while they are all open. */
async function manyStreams(target: RunningTarget) {
  const body = streamBody(chunks, chunkMs);
  const abort = new AbortController();
  const idle = { gateway: await rssKib(target.pid ?? 0), worker: await rssKib(target.workerPid ?? 0) };
  const peak = { gateway: 0, worker: 0 };
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak.gateway = Math.max(peak.gateway, (await rssKib(target.pid ?? 0)) ?? 0);
      peak.worker = Math.max(peak.worker, (await rssKib(target.workerPid ?? 0)) ?? 0);
      await Bun.sleep(200);
    }
  })();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: streams }, () =>
      oneStream(target, body, abort.signal).catch(() => ({
        ttft: Number.NaN,
        maxGap: Number.NaN,
        half: Number.NaN,
        ok: false,
      })),
    ),
  );
  const wall = performance.now() - started;
  running = false;
  await sampler;
  const okay = results.filter((r) => r.ok);
  const ttft = okay.map((r) => r.ttft).sort((a, b) => a - b);
  const gaps = okay.map((r) => r.maxGap).sort((a, b) => a - b);
  const halves = okay.map((r) => r.half).sort((a, b) => a - b);
  return { ok: okay.length, ttft, gaps, halves, wall, idle, peak };
}

/** Mixed load for `seconds`: streams reopened as they end, plus back-to-back non-stream calls. */
async function mixedLoad(target: RunningTarget, seconds: number) {
  const until = performance.now() + seconds * 1000;
  const curve: { t: number; gateway: number | undefined; worker: number | undefined }[] = [];
  const streamBodyText = streamBody(20, 50);
  const plain = JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "hi" }] });
  let requests = 0;
  const loop = async (send: () => Promise<unknown>) => {
    while (performance.now() < until) {
      await send().catch(() => {});
      requests++;
    }
  };
  const abort = new AbortController();
  const post = (body: string) =>
    fetch(`${target.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...target.headers },
      body,
      signal: abort.signal,
    }).then((r) => r.arrayBuffer());
  const t0 = performance.now();
  const sampler = (async () => {
    while (performance.now() < until) {
      curve.push({
        t: (performance.now() - t0) / 1000,
        gateway: await rssKib(target.pid ?? 0),
        worker: await rssKib(target.workerPid ?? 0),
      });
      await Bun.sleep(Math.max(1000, (seconds * 1000) / 12));
    }
  })();
  await Promise.all([
    ...Array.from({ length: mixedStreams }, () => loop(() => post(streamBodyText))),
    ...Array.from({ length: mixedPlain }, () => loop(() => post(plain))),
    sampler,
  ]);
  // Let it settle with no traffic; what JavaScriptCore gives back shows here.
  await Bun.sleep(5000);
  Bun.gc(true);
  curve.push({
    t: (performance.now() - t0) / 1000,
    gateway: await rssKib(target.pid ?? 0),
    worker: await rssKib(target.workerPid ?? 0),
  });
  return { curve, requests };
}

async function main(): Promise<void> {
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  console.log(`# ${streams} concurrent streams (${chunks} chunks, ${chunkMs} ms apart), Bun ${Bun.version}`);
  console.log(`load average before: ${load}\n`);
  const fake = await startFake();
  const targets = [
    directTarget(fake.url, fake.pid),
    mindgwTarget(fake.url, binary, { name: "mindgw" }),
    mindgwTarget(fake.url, binary, { name: "mindgw-worker", via: "worker" }),
  ].filter((t) => wanted.includes(t.name));
  const rows: string[] = [];
  let directP50 = Number.NaN;
  let directP99 = Number.NaN;
  const mixedTargets: { name: string; running: RunningTarget }[] = [];
  try {
    for (const target of targets) {
      const running = await target.start();
      const r = await manyStreams(running);
      const p50 = quantile(r.ttft, 0.5);
      const p99 = quantile(r.ttft, 0.99);
      if (target.name === "direct") {
        directP50 = p50;
        directP99 = p99;
      }
      const added = target.name === "direct" ? "–" : `${ms(p50 - directP50)} / ${ms(p99 - directP99)}`;
      const spread = quantile(r.halves, 1) - quantile(r.halves, 0);
      rows.push(
        `| ${target.name} | ${r.ok}/${streams} | ${ms(p50)} | ${ms(p99)} | ${added} | ${ms(quantile(r.gaps, 0.99))} | ${ms(quantile(r.gaps, 1))} | ${ms(spread)} | ${(r.wall / 1000).toFixed(1)} | ${mib(r.idle.gateway)} | ${mib(r.peak.gateway)} | ${target.name === "mindgw-worker" ? `${mib(r.idle.worker)} → ${mib(r.peak.worker)}` : "–"} |`,
      );
      if (target.name === "direct") await running.stop();
      else mixedTargets.push({ name: target.name, running });
    }
    console.log(
      [
        "| target | streams done | TTFT p50 ms | TTFT p99 ms | added p50 / p99 ms | max gap p99 ms | max gap max ms | half-read spread ms | wall s | RSS idle MiB | RSS peak MiB | worker RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ...rows,
        "",
      ].join("\n"),
    );
    for (const { name, running } of mixedTargets) {
      if (mixedSeconds <= 0) break;
      const { curve, requests } = await mixedLoad(running, mixedSeconds);
      console.log(
        `## RSS under mixed load: ${name}, ${mixedSeconds} s (128 streams reopened + 16 non-stream loops)`,
      );
      console.log(`${requests} requests; the last row is 5 s after the load stopped\n`);
      console.log("| t s | gateway MiB | worker MiB |\n| ---: | ---: | ---: |");
      for (const p of curve) console.log(`| ${p.t.toFixed(0)} | ${mib(p.gateway)} | ${mib(p.worker)} |`);
      console.log("");
    }
  } finally {
    for (const { running } of mixedTargets) await running.stop();
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
