/**
 * What handing a batch to the export thread through the batch ring (src/telemetry/tracing/
 * span-batch-ring.ts) costs each thread, this checkout's ring against another's, rounds
 * alternating in one process: the main thread busy (as a gateway's loop is at c=32) publishes a
 * batch every `--interval` ms; a Worker (bench/ring-wake-thread.ts) takes each with `--work` µs
 * of busy work. Per round and side: the main thread's wall time inside `publish` (its
 * `Atomics.notify`, when it wakes the thread), the CPU the rest of the process spent a batch
 * (the thread's wake-ups and work), and the most batches published and not yet taken at a
 * publish (how late the thread took them).
 *   bun bench/ring-wake.ts --against /tmp/base-s26 [--interval 10] [--batches 200] [--rounds 6] [--work 300]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { mainThreadCpuSeconds } from "./cpu-time.ts";

const { values } = parseArgs({
  options: {
    against: { type: "string" },
    interval: { type: "string", default: "10" },
    batches: { type: "string", default: "200" },
    rounds: { type: "string", default: "6" },
    work: { type: "string", default: "300" },
  },
});
const interval = Number(values.interval);
const batches = Number(values.batches);
const work = Number(values.work);
const roots = [resolve(import.meta.dir, ".."), ...(values.against ? [resolve(values.against)] : [])];
const names = ["this", ...(values.against ? ["against"] : [])];

type RingModule = typeof import("../src/telemetry/tracing/span-batch-ring.ts");
const modules: RingModule[] = [];
for (const root of roots)
  modules.push((await import(`${root}/src/telemetry/tracing/span-batch-ring.ts`)) as RingModule);
const workers = roots.map(() => new Worker(new URL("./ring-wake-thread.ts", import.meta.url)));

const busyUntil = (until: number) => {
  while (performance.now() < until) {}
};

interface Row {
  publishUs: number;
  otherCpuUs: number;
  mainCpuUs: number;
  mostBehind: number;
  full: number;
}
const rows: Row[][] = roots.map(() => []);

async function round(side: number): Promise<Row> {
  const mod = modules[side] as RingModule;
  const ring = new mod.BatchRing(16);
  const worker = workers[side] as Worker;
  await new Promise<void>((done) => {
    worker.onmessage = () => done();
    worker.postMessage({ root: roots[side], memory: ring.memory, work });
  });
  const cells = new Int32Array(ring.memory);
  const cpu0 = process.cpuUsage();
  const main0 = await mainThreadCpuSeconds(process.pid);
  let inPublish = 0;
  let mostBehind = 0;
  let full = 0;
  let next = performance.now();
  for (let i = 1; i <= batches; i++) {
    next += interval;
    busyUntil(next);
    mostBehind = Math.max(mostBehind, i - 1 - Atomics.load(cells, 1));
    const batch = {
      id: i,
      spans: 512,
      numbersMemory: 0,
      numbersLength: 0,
      stringsMemory: 0,
      stringsLength: 0,
    };
    const t = performance.now();
    const published = ring.publish(batch);
    inPublish += performance.now() - t;
    // A full ring (the thread 16 batches behind): published once the thread has taken one.
    if (!published) {
      full++;
      while (!ring.publish(batch)) busyUntil(performance.now() + 0.1);
    }
  }
  // The last batch taken, then the thread's looks left to run out (it sleeps after a few misses).
  while (Atomics.load(cells, 1) < batches) busyUntil(performance.now() + 1);
  const cpu = process.cpuUsage(cpu0);
  const main = (await mainThreadCpuSeconds(process.pid)) - main0;
  return {
    publishUs: (inPublish * 1000) / batches,
    mainCpuUs: (main * 1e6) / batches,
    otherCpuUs: ((cpu.user + cpu.system) / 1e6 - main) * (1e6 / batches),
    mostBehind,
    full,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};

for (let r = 0; r < Number(values.rounds); r++)
  for (let k = 0; k < roots.length; k++) {
    const side = (r + k) % roots.length;
    const row = await round(side);
    (rows[side] as Row[]).push(row);
    console.log(
      `round ${r} ${names[side]}: publish ${row.publishUs.toFixed(2)} µs, other threads ${row.otherCpuUs.toFixed(1)} µs CPU a batch, most behind ${row.mostBehind}${row.full ? `, ring full ${row.full} times` : ""}`,
    );
  }
for (const [side, list] of rows.entries())
  console.log(
    `median ${names[side]}: publish ${median(list.map((x) => x.publishUs)).toFixed(2)} µs a batch, other threads ${median(list.map((x) => x.otherCpuUs)).toFixed(1)} µs CPU a batch, most behind ${Math.max(...list.map((x) => x.mostBehind))}`,
  );
for (const worker of workers) worker.terminate();
