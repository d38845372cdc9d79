/**
 * A target's warm-up before it is measured: `seconds` of c=32 load per scenario, then, for a
 * target whose process we can see, more load until its JIT has settled. JavaScriptCore compiles a
 * gateway's code again when load comes back after a pause (a target left idle while other pairs
 * ran spent 3.5–7.5 µs a request in its `JITWorker` threads over its next minute, against 0.3–0.9
 * in the one it was paired with, which had just been loaded: session 20, docs/BENCHMARKS-HISTORY.md),
 * so two targets with different histories are compared with one paying for its compiles.
 * Settled: three 3 s runs in a row in which the JIT threads (the worker process's too) spent at
 * most `settledUs` µs a request; given up after `maxSeconds`, and said so.
 */
import { readdir, readFile } from "node:fs/promises";
import type { RunningTarget } from "./target.ts";
import { runWrk, type Scenario } from "./wrk.ts";

export interface WarmUp {
  /** Seconds of load per scenario first (0: none, and no settling either). */
  seconds: number;
  /** µs of JIT a request at which a run counts as settled (default 1). */
  settledUs?: number;
  /** Most seconds of load spent waiting for the JIT to settle (default 120; 0: no settling). */
  maxSeconds?: number;
}

const RUN_SECONDS = 3;
/** The JIT compiles in bursts: one quiet run may fall between two. */
const QUIET_RUNS = 3;

/**
 * Run time (ns) of each JIT thread (`JITWorker`) of these processes so far, by thread. The JIT's
 * threads come and go: a run's share is each thread's growth, a new one's whole time; one that
 * exits during the run takes its last moments with it (it exits after idling, so little).
 */
async function jitThreads(pids: readonly number[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const pid of pids)
    for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
      const at = `/proc/${pid}/task/${tid}`;
      const [name, schedstat] = await Promise.all([
        readFile(`${at}/comm`, "utf8").catch(() => ""),
        readFile(`${at}/schedstat`, "utf8").catch(() => ""),
      ]);
      if (name.trim() === "JITWorker" && schedstat)
        found.set(`${pid}/${tid}`, Number(schedstat.split(" ")[0]));
    }
  return found;
}

const grownNs = (before: Map<string, number>, after: Map<string, number>): number => {
  let sum = 0;
  for (const [thread, ns] of after) sum += ns - (before.get(thread) ?? 0);
  return sum;
};

/** Warms `target` up; returns the JIT's µs a request in the last run (NaN: no settling run). */
export async function warmUp(
  name: string,
  target: RunningTarget,
  scenarios: readonly Scenario[],
  workDir: string,
  options: WarmUp,
): Promise<number> {
  if (options.seconds <= 0) return Number.NaN;
  const load = (scenario: Scenario, seconds: number) =>
    runWrk({ baseUrl: target.url, headers: target.headers, scenario, connections: 32, seconds, workDir });
  for (const scenario of scenarios) await load(scenario, options.seconds);
  const pids = [target.pid, target.workerPid].filter((pid): pid is number => pid !== undefined);
  const settledUs = options.settledUs ?? 1;
  const maxSeconds = options.maxSeconds ?? 120;
  if (pids.length === 0 || maxSeconds <= 0) return Number.NaN;
  let jitUs = Number.NaN;
  let quiet = 0;
  for (let spent = RUN_SECONDS, turn = 0; spent <= maxSeconds; spent += RUN_SECONDS, turn++) {
    const scenario = scenarios[turn % scenarios.length];
    if (!scenario) break;
    const before = await jitThreads(pids);
    const run = await load(scenario, RUN_SECONDS);
    jitUs = grownNs(before, await jitThreads(pids)) / 1000 / Math.max(1, run.requests);
    quiet = jitUs <= settledUs ? quiet + 1 : 0;
    if (quiet === QUIET_RUNS) {
      console.error(`warm-up: ${name}: JIT settled after ${spent} s more (${jitUs.toFixed(2)} µs a request)`);
      return jitUs;
    }
  }
  console.error(`warm-up: ${name}: JIT still at ${jitUs.toFixed(2)} µs a request after ${maxSeconds} s more`);
  return jitUs;
}
