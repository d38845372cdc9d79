/**
 * The kernel's view of a c=1 run (bench/c1-trace.ts): `perf script` lines of scheduler switches
 * and wake-ups (every CPU) and of the socket system calls of wrk, the gateway and the upstream,
 * turned into what each thread did when: on a CPU, waiting for one (woken or preempted, not yet
 * running), and which thread held each CPU at every moment.
 */

/** One traced event: `comm tid [cpu] seconds: event: fields`. */
export interface TraceEvent {
  tid: number;
  cpu: number;
  /** Microseconds, on the trace's clock. */
  us: number;
  name: string;
  fields: string;
}

export interface Span {
  from: number;
  to: number;
}

/** A stretch of one CPU held by one thread, named by `label`. */
export interface CpuRun extends Span {
  label: string;
}

const LINE = /^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$/;
const SWITCH =
  /prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)/;
const WAKEE = / pid=(\d+)/;

export function parseTrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const name = (m[5] as string).replace(/:$/, "");
    events.push({
      tid: Number(m[2]),
      cpu: Number(m[3]),
      us: Number(m[4]) * 1e6,
      name,
      fields: m[6] as string,
    });
  }
  return events;
}

/** A system call's return value as perf prints it (`0x1ed`, or a negative errno as `0xffff…`). */
export function returned(e: TraceEvent): number {
  return e.fields.startsWith("0xffff") ? -1 : Number.parseInt(e.fields, 16);
}

/** The first argument of a `sys_enter_*` event (`fd: 0x00000002, …`). */
export function firstArg(e: TraceEvent): number {
  return Number.parseInt(e.fields.slice(e.fields.indexOf(":") + 1), 16);
}

/** What the scheduler says: per thread its on-CPU and waiting spans, and every CPU's holders. */
export interface Schedule {
  onCpu: Map<number, Span[]>;
  waiting: Map<number, Span[]>;
  runs: CpuRun[];
}

export function schedule(events: TraceEvent[], label: (tid: number, comm: string) => string): Schedule {
  const onCpu = new Map<number, Span[]>();
  const waiting = new Map<number, Span[]>();
  const runs: CpuRun[] = [];
  const holder = new Map<number, { since: number; label: string }>();
  const readySince = new Map<number, number>();
  const runningSince = new Map<number, number>();
  const push = (map: Map<number, Span[]>, tid: number, span: Span) => {
    const list = map.get(tid);
    if (list) list.push(span);
    else map.set(tid, [span]);
  };
  for (const e of events) {
    if (e.name === "sched:sched_wakeup") {
      const tid = Number(WAKEE.exec(e.fields)?.[1]);
      if (!readySince.has(tid) && !runningSince.has(tid)) readySince.set(tid, e.us);
      continue;
    }
    if (e.name !== "sched:sched_switch") continue;
    const m = SWITCH.exec(e.fields);
    if (!m) continue;
    const prev = Number(m[2]);
    const next = Number(m[5]);
    const held = holder.get(e.cpu);
    if (held) runs.push({ from: held.since, to: e.us, label: held.label });
    holder.set(e.cpu, { since: e.us, label: label(next, m[4] as string) });
    const ran = runningSince.get(prev);
    if (ran !== undefined) push(onCpu, prev, { from: ran, to: e.us });
    runningSince.delete(prev);
    // Switched out still runnable: preempted, waiting for a CPU from now.
    if ((m[3] as string).startsWith("R")) readySince.set(prev, e.us);
    const ready = readySince.get(next);
    if (ready !== undefined) push(waiting, next, { from: ready, to: e.us });
    readySince.delete(next);
    runningSince.set(next, e.us);
  }
  runs.sort((a, b) => a.from - b.from);
  return { onCpu, waiting, runs };
}

/** Microseconds of `spans` (sorted, not overlapping) inside [from, to). */
export function overlap(spans: readonly Span[] | undefined, from: number, to: number): number {
  if (!spans) return 0;
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((spans[mid] as Span).to <= from) lo = mid + 1;
    else hi = mid;
  }
  let sum = 0;
  for (let i = lo; i < spans.length; i++) {
    const s = spans[i] as Span;
    if (s.from >= to) break;
    sum += Math.max(0, Math.min(to, s.to) - Math.max(from, s.from));
  }
  return sum;
}

/** Who held the CPUs inside [from, to): microseconds by label. Runs are short, so a 50 ms look-back finds every overlap. */
export function holders(runs: readonly CpuRun[], from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((runs[mid] as CpuRun).from < from - 50_000) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < runs.length; i++) {
    const r = runs[i] as CpuRun;
    if (r.from >= to) break;
    const o = Math.min(to, r.to) - Math.max(from, r.from);
    if (o > 0) out.set(r.label, (out.get(r.label) ?? 0) + o);
  }
  return out;
}

/**
 * The collections of the gateway's main heap: `BUN_JSC_logGC` writes each line piece by piece
 * on fd 2 from the collecting thread, so a burst of the main thread's writes to fd 2 (pieces
 * less than 3 ms apart) spans one collection, its log included.
 */
export function collections(events: readonly TraceEvent[], mainTid: number): Span[] {
  const bursts: (Span & { writes: number })[] = [];
  for (const e of events) {
    if (e.tid !== mainTid || e.name !== "syscalls:sys_enter_write" || firstArg(e) !== 2) continue;
    const last = bursts.at(-1);
    if (last && e.us - last.to < 3000) {
      last.to = e.us;
      last.writes++;
    } else bursts.push({ from: e.us, to: e.us, writes: 1 });
  }
  // A collection's log is dozens of pieces; a lone write to fd 2 is something else.
  return bursts.filter((b) => b.writes >= 10).map(({ from, to }) => ({ from, to }));
}
