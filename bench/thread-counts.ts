/**
 * Counts of what each thread of a process did while it was watched (`perf stat --per-thread`):
 * system calls, context switches, page faults, and the wake-ups of other threads it made (a
 * loopback write wakes its reader's thread inside the writer's system call: ~5–10 µs each on
 * this virtual machine, so fewer wakes a request is less of the writer's CPU). Unlike CPU time these do not move with the
 * machine's load, so a difference of a fraction of a call per request is evidence on a shared
 * host where a few µs of CPU are not. Needs `perf` and the syscall tracepoints (root, or
 * `perf_event_paranoid` ≤ 1); only the threads alive when counting starts are counted.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ThreadCounts {
  syscalls: number;
  switches: number;
  faults: number;
  wakes: number;
}

const EVENTS: Record<string, keyof ThreadCounts> = {
  "raw_syscalls:sys_enter": "syscalls",
  "context-switches": "switches",
  "page-faults": "faults",
  "sched:sched_waking": "wakes",
};

/**
 * Starts counting every thread of `pid`; `stop()` returns the counts by thread name (`(main)` for
 * the event loop; threads of one name summed).
 */
export async function countThreads(pid: number): Promise<{ stop(): Promise<Record<string, ThreadCounts>> }> {
  const dir = await mkdtemp(join(tmpdir(), "thread-counts-"));
  const out = join(dir, "perf.csv");
  const perf = Bun.spawn(
    [
      "perf",
      "stat",
      "--per-thread",
      "-x",
      ",",
      "-o",
      out,
      "-e",
      Object.keys(EVENTS).join(","),
      "-p",
      String(pid),
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  // perf attaches to the threads before counting: give it a moment, as it prints nothing when ready.
  await Bun.sleep(50);
  return {
    async stop() {
      perf.kill("SIGINT");
      await perf.exited;
      const text = await readFile(out, "utf8").catch(() => "");
      await rm(dir, { recursive: true, force: true });
      const counts: Record<string, ThreadCounts> = {};
      for (const line of text.split("\n")) {
        // `<comm>-<tid>,<count>,<unit>,<event>,…`; the name may itself hold dashes.
        const [thread = "", count = "", , event = ""] = line.split(",");
        const field = EVENTS[event];
        const dash = thread.lastIndexOf("-");
        if (!field || dash < 0) continue;
        const name = thread.slice(dash + 1) === String(pid) ? "(main)" : thread.slice(0, dash);
        counts[name] ??= { syscalls: 0, switches: 0, faults: 0, wakes: 0 };
        counts[name][field] += Number(count) || 0;
      }
      return counts;
    },
  };
}
