/**
 * Idle RSS of the compiled gateway, as issue 11 states the target (≤ 80 MB): a fresh
 * `mindgw serve` on the embedded defaults (mock route, SQLite under ./data, a new key store) in
 * an empty temp dir, nothing served; RSS read from /proc once the banner is out and the process
 * has settled. Several fresh starts, median (min–max), in MB (10^6 bytes) and MiB, with the
 * anonymous (heaps) and file-backed (pages of the binary) parts.
 *   bun bench/idle-rss.ts [--binary dist/mindgw] [--runs 5] [--settle-ms 2000] [--config FILE]
 *     [--against OTHER_BINARY]
 * `--against` starts another binary (say, main's) alternately with this one (A B B A …), so that
 * the machine's state hits both alike.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    binary: { type: "string", default: join(import.meta.dir, "..", "dist", "mindgw") },
    runs: { type: "string", default: "5" },
    "settle-ms": { type: "string", default: "2000" },
    config: { type: "string" },
    against: { type: "string" },
  },
});
const runs = Number(values.runs);
const settleMs = Number(values["settle-ms"]);

interface Sample {
  rss: number;
  anon: number;
  file: number;
}

/** kB figures from /proc/PID/status. */
async function memoryOf(pid: number): Promise<Sample> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kib = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m"))?.[1]);
  return { rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile") };
}

async function idleOnce(binary: string): Promise<Sample> {
  const dir = await mkdtemp(join(tmpdir(), "mindgw-idle-rss-"));
  const args = [resolve(binary), "serve", "--host", "127.0.0.1", "--port", "0"];
  if (values.config) args.push("-c", resolve(values.config));
  const proc = Bun.spawn(args, { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  try {
    const deadline = setTimeout(() => proc.kill("SIGKILL"), 30_000);
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of proc.stdout) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes("mindgw serving on")) break;
    }
    clearTimeout(deadline);
    if (!text.includes("mindgw serving on")) throw new Error(`${binary} did not start: ${text}`);
    await Bun.sleep(settleMs);
    return await memoryOf(proc.pid);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    await rm(dir, { recursive: true, force: true });
  }
}

const targets = values.against ? [values.binary, values.against] : [values.binary];
const samples = new Map<string, Sample[]>(targets.map((t) => [t, []]));
for (let round = 0; round < runs; round++) {
  const order = round % 2 === 0 ? targets : [...targets].reverse();
  for (const binary of order) {
    const sample = await idleOnce(binary);
    samples.get(binary)?.push(sample);
    console.log(`${binary}: RSS ${sample.rss} kB (anon ${sample.anon}, file ${sample.file})`);
  }
}

const mb = (kib: number) => ((kib * 1024) / 1e6).toFixed(1);
const mib = (kib: number) => (kib / 1024).toFixed(1);
for (const [binary, list] of samples) {
  const rss = list.map((s) => s.rss);
  console.log(
    `${binary}: idle RSS median ${mb(median(rss))} MB (${mib(median(rss))} MiB), ` +
      `min–max ${mb(Math.min(...rss))}–${mb(Math.max(...rss))} MB; ` +
      `anon ${mb(median(list.map((s) => s.anon)))} MB, file ${mb(median(list.map((s) => s.file)))} MB ` +
      `(${list.length} fresh starts, ${settleMs} ms after the banner)`,
  );
}
