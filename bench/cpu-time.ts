/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICKS = 100;

/** User + system seconds from a /proc stat line. */
function statSeconds(stat: string): number {
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/**
 * User + system CPU seconds a process has used so far, from /proc. On a shared, overloaded
 * machine throughput swings with everyone else's load, while the CPU a process spends per
 * request barely does: it is the steadier measure of what a feature costs.
 */
export async function cpuSeconds(pid: number): Promise<number> {
  return statSeconds(await Bun.file(`/proc/${pid}/stat`).text());
}

/**
 * The whole machine's CPU ticks so far (every core), busy and in total, from /proc/stat: the
 * busy share over a run says whether the run was bound by the machine's CPU (near 100 %) or by
 * something else, such as the hops a request waits through (well below).
 */
export async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await Bun.file("/proc/stat").text()).split("\n", 1)[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}

/**
 * The same for the process's main thread alone (its JavaScript event loop): what bounds
 * throughput when work moves to other threads (the audit writer, the trace export thread).
 */
export async function mainThreadCpuSeconds(pid: number): Promise<number> {
  // schedstat's first field is the thread's run time in ns (stat's is in 10 ms ticks): exact for a
  // thread that is not running at the moment of reading, and at most a scheduler tick behind if it is.
  const schedstat = await Bun.file(`/proc/${pid}/task/${pid}/schedstat`)
    .text()
    .catch(() => "");
  const ns = Number(schedstat.split(" ")[0]);
  if (schedstat && Number.isFinite(ns)) return ns / 1e9;
  return statSeconds(await Bun.file(`/proc/${pid}/task/${pid}/stat`).text());
}

/** One thread's name (`(main)` for the event loop) and its user + system CPU seconds so far. */
export interface ThreadCpu {
  readonly name: string;
  readonly seconds: number;
}

/**
 * CPU seconds of each live thread of a process, by thread id: the event loop, `Worker`
 * threads (audit writer, trace export), the garbage collector's and the JIT's helpers.
 */
export async function threadCpuSeconds(pid: number): Promise<Map<string, ThreadCpu>> {
  const { readdir } = await import("node:fs/promises");
  const threads = new Map<string, ThreadCpu>();
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tids) {
    const stat = await Bun.file(`/proc/${pid}/task/${tid}/stat`)
      .text()
      .catch(() => "");
    if (!stat) continue;
    const name = tid === String(pid) ? "(main)" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    threads.set(tid, { name, seconds: statSeconds(stat) });
  }
  return threads;
}

/**
 * CPU seconds spent between two readings, by thread name. Threads that exited meanwhile (Bun's
 * JIT and GC helpers come and go) no longer show per thread: what the process spent beyond the
 * live threads is reported as `(exited threads)`.
 */
export function threadCpuSpent(
  before: Map<string, ThreadCpu>,
  after: Map<string, ThreadCpu>,
  processSeconds: number,
): Record<string, number> {
  const spent: Record<string, number> = {};
  let live = 0;
  for (const [tid, { name, seconds }] of after) {
    const used = seconds - (before.get(tid)?.seconds ?? 0);
    spent[name] = (spent[name] ?? 0) + used;
    live += used;
  }
  spent["(exited threads)"] = Math.max(0, processSeconds - live);
  return spent;
}

/**
 * This thread's own CPU time in ns, exact to the call (clock_gettime(CLOCK_THREAD_CPUTIME_ID)
 * through bun:ffi). /proc's figures for the thread reading them lag by up to a scheduler tick
 * (4 ms), too coarse for in-process rounds of a few tens of ms; a call costs ~1 µs.
 */
export function threadCpuNs(): number {
  clock ??= openClock();
  clock.gettime(CLOCK_THREAD_CPUTIME_ID, clock.at);
  return Number(clock.time[0]) * 1e9 + Number(clock.time[1]);
}

const CLOCK_PROCESS_CPUTIME_ID = 2;
const CLOCK_THREAD_CPUTIME_ID = 3;
let clock: ReturnType<typeof openClock> | undefined;

function openClock() {
  const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
  const libc = dlopen("libc.so.6", {
    clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  });
  const time = new BigInt64Array(2);
  return { gettime: libc.symbols.clock_gettime, time, at: ptr(time) };
}

/**
 * Another thread's CPU time in ns, of this process (its id from /proc/self/task): the kernel's
 * per-thread CPU clock for a thread id (`MAKE_THREAD_CPUCLOCK`, what `pthread_getcpuclockid`
 * returns), read with the same clock_gettime, exact to the call whether the thread runs or sleeps.
 */
export function threadCpuNsOf(tid: number): number {
  clock ??= openClock();
  // ~tid << 3 | CPUCLOCK_PERTHREAD_MASK (4) | CPUCLOCK_SCHED (2): a negative clock id.
  if (clock.gettime((~tid << 3) | 6, clock.at) !== 0) throw new Error(`no CPU clock for thread ${tid}`);
  return Number(clock.time[0]) * 1e9 + Number(clock.time[1]);
}

/** This process's CPU time in ns, every thread's (clock_gettime(CLOCK_PROCESS_CPUTIME_ID)). */
export function processCpuNs(): number {
  clock ??= openClock();
  clock.gettime(CLOCK_PROCESS_CPUTIME_ID, clock.at);
  return Number(clock.time[0]) * 1e9 + Number(clock.time[1]);
}
