/**
 * Peak RSS of the compiled gateway under large request bodies (docs/DEPLOYMENT.md, "Memory per
 * request"): one client sends `--requests` chat requests of ~`--mb` MB each (an image as a data
 * URL, different in each) one after another, to the fake upstream; the gateway's VmHWM (its peak
 * RSS) and VmRSS after the last answer are read from /proc. `--bodies on` stores both bodies in the
 * audit row (`audit.bodies: true`); `--renamed` routes the model to an upstream model of another
 * name, so each request is sent on rewritten. With `--against`, another binary (say main's) runs
 * the same, alternately (A B B A …), and a run fails if this one's median peak is not below
 * `--most` times the other's (0: no bound). After each answer the audit queue's depth (rows, and
 * bytes where the binary exports them) is read from `/metrics`: the most each reached is printed,
 * with the bodies the queue did not keep for its bound; `--max-queue-bytes` sets that bound
 * (`audit.max_queue_bytes`).
 *   bun bench/large-bodies-rss.ts [--binary dist/mindgw] [--requests 50] [--mb 4] [--bodies on|off]
 *     [--renamed] [--runs 1] [--against OTHER_BINARY] [--most 0.5] [--max-queue-bytes 64MB]
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { keyInOutput } from "./mindgw-key.ts";
import { freePort, spawnService, waitForHttp } from "./service.ts";
import { median } from "./stats.ts";
import { startFake } from "./targets.ts";

const { values } = parseArgs({
  options: {
    binary: { type: "string", default: join(import.meta.dir, "..", "dist", "mindgw") },
    requests: { type: "string", default: "50" },
    mb: { type: "string", default: "4" },
    bodies: { type: "string", default: "on" },
    renamed: { type: "boolean", default: false },
    runs: { type: "string", default: "1" },
    against: { type: "string" },
    most: { type: "string", default: "0" },
    "max-queue-bytes": { type: "string" },
  },
});
const requests = Number(values.requests);
const bodyBytes = Number(values.mb) * 1e6;
const bodies = values.bodies === "on";

/** kB figures from /proc/PID/status. */
async function memoryOf(pid: number): Promise<{ hwm: number; rss: number }> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kib = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m"))?.[1]);
  return { hwm: kib("VmHWM"), rss: kib("VmRSS") };
}

/** ~`bodyBytes` of JSON: an image as a data URL whose bytes are `seed`'s. */
function imageBody(seed: number): string {
  const image = Buffer.alloc(Math.floor((bodyBytes * 3) / 4), seed % 251).toString("base64");
  return JSON.stringify({
    model: "big-model",
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: `what is in picture ${seed}?` },
          { type: "image_url", image_url: { url: `data:image/png;base64,${image}` } },
        ],
      },
    ],
  });
}

const configYaml = (port: number, dir: string, fakeUrl: string) => `server: { host: 127.0.0.1, port: ${port} }
storage: { driver: sqlite, path: ${join(dir, "data", "mindgw.db")} }
providers:
  - { name: fake, type: openai, base_url: ${fakeUrl}/v1 }
models:
  - name: big-model
    routes:
      - { provider: fake, model: ${values.renamed ? "upstream-model" : "big-model"} }
audit: { bodies: ${bodies}${values["max-queue-bytes"] ? `, max_queue_bytes: ${values["max-queue-bytes"]}` : ""} }
`;

/** The audit queue as `/metrics` reads it: NaN for a figure the binary does not export. */
async function auditQueue(url: string, key: string) {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  return {
    rows: gauge("mindgw_audit_queue_depth"),
    bytes: gauge("mindgw_audit_queue_bytes"),
    bodiesDropped: gauge("mindgw_audit_bodies_dropped_total"),
  };
}

interface Run {
  hwm: number;
  rss: number;
  /** The most rows and bytes the audit queue held after an answer, and the bodies it did not keep. */
  queue: { rows: number; bytes: number; bodiesDropped: number };
}

async function runOnce(binary: string, fakeUrl: string): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), "mindgw-large-bodies-"));
  await mkdir(join(dir, "config"), { recursive: true });
  const port = freePort();
  const config = join(dir, "config", "config.yaml");
  await writeFile(config, configYaml(port, dir, fakeUrl));
  const gateway = spawnService([resolve(binary), "serve", "-c", config], {
    stderrPath: join(dir, "stderr.log"),
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/healthz`);
    const key = keyInOutput(gateway.output());
    if (!key) throw new Error(`${binary} printed no admin key: ${gateway.output()}`);
    const queue = { rows: 0, bytes: 0, bodiesDropped: 0 };
    for (let i = 0; i < requests; i++) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: imageBody(i),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`request ${i}: ${response.status} ${text.slice(0, 300)}`);
      const now = await auditQueue(url, key);
      queue.rows = Math.max(queue.rows, now.rows);
      queue.bytes = Math.max(queue.bytes, now.bytes);
      queue.bodiesDropped = now.bodiesDropped;
    }
    return { ...(await memoryOf(gateway.pid)), queue };
  } finally {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const fake = await startFake();
const targets = values.against ? [values.binary, values.against] : [values.binary];
const peaks = new Map<string, number[]>(targets.map((t) => [t, []]));
const mib = (kib: number) => (kib / 1024).toFixed(0);
try {
  for (let round = 0; round < Number(values.runs); round++) {
    for (const binary of round % 2 === 0 ? targets : [...targets].reverse()) {
      const { hwm, rss, queue } = await runOnce(binary, fake.url);
      peaks.get(binary)?.push(hwm);
      console.log(
        `${binary}: VmHWM ${mib(hwm)} MiB, VmRSS after ${mib(rss)} MiB; the audit queue at most ${queue.rows} rows, ${(queue.bytes / 2 ** 20).toFixed(0)} MiB; ${queue.bodiesDropped} bodies not kept`,
      );
    }
  }
} finally {
  await fake.stop();
}

const shape = `${requests} × ${values.mb} MB, bodies ${bodies ? "on" : "off"}${values.renamed ? ", renamed" : ""}`;
for (const [binary, list] of peaks) console.log(`${shape}: ${binary} VmHWM median ${mib(median(list))} MiB`);
const most = Number(values.most);
if (values.against && most > 0) {
  const ratio = median(peaks.get(values.binary) ?? []) / median(peaks.get(values.against) ?? []);
  console.log(`peak ratio ${ratio.toFixed(2)} (bound ${most})`);
  if (!(ratio < most)) process.exit(1);
}
