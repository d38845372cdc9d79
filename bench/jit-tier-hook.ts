/**
 * Preloaded into a gateway by bench/jit-compiles.ts (`bun --preload`): once the file
 * `$MINDGW_JIT_TIERS/start` appears, samples the main thread with JavaScriptCore's sampling
 * profiler (200 µs) until `$MINDGW_JIT_TIERS/stop` appears, then writes `tiers.json` there: the
 * tier of each sample's top frame, and the gateway's own code (`/src/`) by tier and by function.
 * One profile a process: starting the profiler a second time in one process threw away much of
 * the optimised code (mass `BadConstantCache` exits, then recompiles; s17-jit), which a second
 * window would then read as the gateway's. `Bun.sleep` is read here, at load: the first read of a
 * `Bun` property changes that object's shape and threw away the gateway's optimised code that
 * reads another one (`hashApiKey`'s `Bun.SHA256`; s17-jit).
 */
import { profile } from "bun:jsc";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const { sleep } = Bun;
const dir = process.env.MINDGW_JIT_TIERS;

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

async function sampled(at: string): Promise<void> {
  const taken = await profile(async () => {
    while (!existsSync(join(at, "stop"))) await sleep(100);
  }, 200);
  const top: Record<string, number> = {};
  const ours: Record<string, number> = {};
  const byFunction: Record<string, number> = {};
  for (const trace of taken.stackTraces.traces) {
    const frame = trace.frames[0];
    bump(top, frame ? frame.category : "(none)");
    if (!frame?.sourceURL?.includes("/src/")) continue;
    bump(ours, frame.category);
    bump(
      byFunction,
      `${frame.category} ${frame.name || "(anonymous)"} ${frame.sourceURL.replace(/.*\/src\//, "")}`,
    );
  }
  const samples = taken.stackTraces.traces.length;
  writeFileSync(join(at, "tiers.json"), JSON.stringify({ samples, top, ours, byFunction }));
}

if (dir) {
  const poll = setInterval(() => {
    if (!existsSync(join(dir, "start"))) return;
    clearInterval(poll);
    void sampled(dir);
  }, 100);
  poll.unref();
}
