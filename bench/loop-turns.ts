/**
 * Turns of the event loop a request costs, counted: the gateway's main thread's `epoll_pwait2`
 * calls (one a turn of Bun's loop) and all its system calls, per request, over N requests sent one
 * at a time (c=1, each alone in its turns) by this process's `fetch`, for one or two builds of the
 * traced gateway (every request traced and exported, as bench/ab.ts's `mindgw-traced`), in
 * alternating batches. Counts, not times: a loaded machine moves them little. Needs `perf` and
 * the syscall tracepoints (as bench/thread-counts.ts).
 *   bun bench/loop-turns.ts [--requests 2000] [--rounds 2] [--stream] [--untraced] [--against OTHER_BINARY]
 */
import { parseArgs } from "node:util";
import { SCENARIOS } from "./scenarios.ts";
import type { RunningTarget } from "./target.ts";
import { mindgwTarget, startFake } from "./targets.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    rounds: { type: "string", default: "2" },
    stream: { type: "boolean", default: false },
    untraced: { type: "boolean", default: false },
    against: { type: "string" },
    binary: { type: "string", default: "dist/mindgw" },
  },
});
const requests = Number(values.requests);
const scenario = SCENARIOS[values.stream ? 1 : 0];
if (!scenario) throw new Error("no scenario");

/** The main thread's (tid = pid) epoll_pwait2 calls and system calls while `work` runs. */
async function counted(pid: number, work: () => Promise<void>): Promise<{ turns: number; syscalls: number }> {
  const perf = Bun.spawn(
    [
      "perf",
      "stat",
      "-x",
      ",",
      "-e",
      "syscalls:sys_enter_epoll_pwait2,raw_syscalls:sys_enter",
      "-t",
      String(pid),
    ],
    { stderr: "pipe", stdout: "ignore" },
  );
  await Bun.sleep(300); // perf attaches
  await work();
  perf.kill("SIGINT");
  const text = await new Response(perf.stderr).text();
  await perf.exited;
  const count = (event: string) =>
    Number(
      text
        .split("\n")
        .find((line) => line.includes(event))
        ?.split(",")[0] ?? Number.NaN,
    );
  return { turns: count("epoll_pwait2"), syscalls: count("raw_syscalls") };
}

const fake = await startFake();
const builds = [values.binary, ...(values.against ? [values.against] : [])];
const running: { binary: string; target: RunningTarget }[] = [];
try {
  for (const binary of builds) {
    const target = await mindgwTarget(fake.url, binary, { name: binary, traced: !values.untraced }).start();
    running.push({ binary, target });
  }
  const send = (t: RunningTarget) => async () => {
    for (let i = 0; i < requests; i++) {
      const response = await fetch(`${t.url}${scenario.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...t.headers },
        body: JSON.stringify(scenario.body),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    }
  };
  for (const { target } of running) await send(target)();
  for (let r = 0; r < Number(values.rounds); r++)
    for (const { binary, target } of r % 2 === 0 ? running : [...running].reverse()) {
      const { turns, syscalls } = await counted(target.pid ?? 0, send(target));
      console.log(
        `${scenario.name} ${binary}: ${(turns / requests).toFixed(3)} loop turns, ${(syscalls / requests).toFixed(2)} system calls a request (main thread)`,
      );
    }
} finally {
  for (const { target } of running) await target.stop();
  await fake.stop();
}
process.exit(0);
