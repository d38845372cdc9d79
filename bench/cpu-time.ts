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
 * The same for the process's main thread alone (its JavaScript event loop): what bounds
 * throughput when work moves to other threads (the audit writer, the trace export thread).
 */
export async function mainThreadCpuSeconds(pid: number): Promise<number> {
  return statSeconds(await Bun.file(`/proc/${pid}/task/${pid}/stat`).text());
}
