import { cpus } from "node:os";

/**
 * Pinning processes to cores with `taskset` (util-linux), so a benchmark can give the process
 * it measures the same CPU whatever else the setup runs: the gateway on core 0, everything else
 * (database, Redis, the fake upstream, wrk, this script) on the others. The machine's cores, not
 * this process's affinity: a script started under `taskset -c 1` still pins others to core 0.
 */
const cores = cpus().length;
export const GATEWAY_CORE = "0";
export const OTHER_CORES = cores > 2 ? `1-${cores - 1}` : "1";
export const ALL_CORES = `0-${cores - 1}`;

/** Sets the CPU affinity of every thread of each process (a process that exited is skipped). */
export function pin(pids: readonly number[], cpuList: string): void {
  for (const pid of pids) taskset(["-a", "-p", "-c", cpuList, String(pid)], pid);
}

/** Sets the CPU affinity of one thread (`tid`; a process's main thread has its pid), the others left as they are. */
export function pinThread(tid: number, cpuList: string): void {
  taskset(["-p", "-c", cpuList, String(tid)], tid);
}

function taskset(args: readonly string[], id: number): void {
  if (cores < 2) throw new Error("pinning needs at least 2 cores");
  if (Bun.which("taskset") === null) throw new Error("pinning needs taskset (apt-get install util-linux)");
  const run = Bun.spawnSync(["taskset", ...args], { stdout: "ignore", stderr: "pipe" });
  if (run.exitCode !== 0 && alive(id))
    throw new Error(`taskset ${args.join(" ")} failed: ${run.stderr.toString()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Busy and total clock ticks per core, from /proc/stat. */
export async function coreTicks(): Promise<Map<number, { busy: number; total: number }>> {
  const ticks = new Map<number, { busy: number; total: number }>();
  for (const line of (await Bun.file("/proc/stat").text()).split("\n")) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match) continue;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (
      match[2] ?? ""
    )
      .trim()
      .split(/\s+/)
      .map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    ticks.set(Number(match[1]), { busy, total: busy + idle + iowait });
  }
  return ticks;
}

/** Each core's busy fraction between two `coreTicks` readings, in core order. */
export function busyBetween(
  before: Map<number, { busy: number; total: number }>,
  after: Map<number, { busy: number; total: number }>,
): number[] {
  return [...after].map(([core, end]) => {
    const start = before.get(core) ?? { busy: 0, total: 0 };
    const total = end.total - start.total;
    return total > 0 ? (end.busy - start.busy) / total : 0;
  });
}
