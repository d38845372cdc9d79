/**
 * The system calls a traced request costs the gateway's main thread at c=32, counted: `perf stat`
 * on the main thread (tid = pid) of one or two builds of the traced gateway (every request traced
 * and exported, as bench/ab.ts's `mindgw-traced`) under `wrk -c32`, rounds alternating; per
 * request, its `futex` calls (a wake-up of another thread: the trace batch ring's
 * `Atomics.notify`, the audit thread's, the allocator's), its `write`s (Bun's own wake-ups of a
 * thread's event loop) and all its system calls. Counts, not times: a loaded machine moves them
 * little. Needs `perf` and the syscall tracepoints (as bench/loop-turns.ts).
 *   bun bench/wake-counts.ts [--seconds 4] [--rounds 2] [--stream] [--against OTHER_BINARY] [--binary dist/mindgw]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SCENARIOS } from "./scenarios.ts";
import type { RunningTarget } from "./target.ts";
import { mindgwTarget, startFake } from "./targets.ts";
import { runWrk } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "2" },
    stream: { type: "boolean", default: false },
    against: { type: "string" },
    binary: { type: "string", default: "dist/mindgw" },
  },
});
const scenario = SCENARIOS[values.stream ? 1 : 0];
if (!scenario) throw new Error("no scenario");
const EVENTS = ["syscalls:sys_enter_futex", "syscalls:sys_enter_write", "raw_syscalls:sys_enter"];

/** The main thread's counts of EVENTS while `work` runs. */
async function counted(
  pid: number,
  work: () => Promise<number>,
): Promise<{ requests: number; counts: number[] }> {
  const perf = Bun.spawn(["perf", "stat", "-x", ",", "-e", EVENTS.join(","), "-t", String(pid)], {
    stderr: "pipe",
    stdout: "ignore",
  });
  await Bun.sleep(300); // perf attaches
  const requests = await work();
  perf.kill("SIGINT");
  const text = await new Response(perf.stderr).text();
  await perf.exited;
  const counts = EVENTS.map((event) =>
    Number(
      text
        .split("\n")
        .find((line) => line.includes(event))
        ?.split(",")[0] ?? Number.NaN,
    ),
  );
  return { requests, counts };
}

const dir = await mkdtemp(join(tmpdir(), "wake-counts-"));
const fake = await startFake();
const builds = [values.binary, ...(values.against ? [values.against] : [])];
const running: { binary: string; target: RunningTarget }[] = [];
try {
  for (const binary of builds) {
    const target = await mindgwTarget(fake.url, binary, { name: binary, traced: true }).start();
    running.push({ binary, target });
  }
  const load = (t: RunningTarget, seconds: number) => async () => {
    const result = await runWrk({
      baseUrl: t.url,
      headers: t.headers,
      scenario,
      connections: 32,
      seconds,
      workDir: dir,
    });
    return result.requests;
  };
  for (const { target } of running) await load(target, 3)();
  for (let r = 0; r < Number(values.rounds); r++)
    for (const { binary, target } of r % 2 === 0 ? running : [...running].reverse()) {
      const { requests, counts } = await counted(target.pid ?? 0, load(target, Number(values.seconds)));
      const [futex, write, all] = counts.map((n) => n / requests);
      console.log(
        `${scenario.name} ${binary}: ${requests} requests; a request: futex ${futex?.toFixed(4)}, write ${write?.toFixed(4)}, all system calls ${all?.toFixed(3)} (main thread)`,
      );
    }
} finally {
  for (const { target } of running) await target.stop();
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
