/**
 * Every request of a traced `wrk -t1 -c1` run (bench/c1-trace.ts), from wrk's write of it to
 * wrk's last read of its answer, split at the gateway's reads and writes, and each slow one
 * given the cause that holds most of its time over the median: a collection of the gateway's
 * main heap, the sweep JSC runs ~100 ms after one, other work of the gateway's main thread, or a
 * wait for a CPU (named by the thread that held it), or the upstream or wrk being slow. Then
 * wrk's time-weighted p99 is recomputed with each cause's slow requests given the median: what
 * that cause costs the figure `bench/c1-latency.ts` reports.
 */
import {
  collections,
  holders,
  overlap,
  returned,
  type Schedule,
  type Span,
  type TraceEvent,
} from "./c1-trace-events.ts";

export interface Threads {
  gatewayMain: number;
  /** The gateway's other threads by name (JITWorker, HeapHelper, Worker, mi-scavenger, …). */
  gatewayOthers: Map<number, string>;
  upstreamMain: number;
  wrk: Set<number>;
}

interface Request {
  sent: number;
  answered: number;
  gatewayRead?: number;
  upstreamWrite?: number;
  upstreamRead?: number;
  clientWrite?: number;
}

/** The name a thread gets in the tables: the chain's members, the gateway's helpers, the rest by command. */
export function labeller(t: Threads): (tid: number, comm: string) => string {
  return (tid, comm) => {
    if (tid === t.gatewayMain) return "gateway main";
    const helper = t.gatewayOthers.get(tid);
    if (helper !== undefined) return `gateway ${helper}`;
    if (tid === t.upstreamMain) return "upstream";
    if (t.wrk.has(tid)) return "wrk";
    if (comm.startsWith("swapper")) return "idle";
    return `other process: ${comm.replace(/\/\d+$/, "")}`;
  };
}

function requests(events: readonly TraceEvent[], t: Threads): Request[] {
  const out: Request[] = [];
  let open: Request | undefined;
  for (const e of events) {
    if (!t.wrk.has(e.tid)) continue;
    if (e.name === "syscalls:sys_enter_write") {
      if (open && open.answered > 0) out.push(open);
      open = { sent: e.us, answered: 0 };
    } else if (e.name === "syscalls:sys_exit_read" && open && returned(e) > 0) open.answered = e.us;
  }
  // The gateway's side: its read of the request, its write upstream, its read of the answer, its first write back.
  const gateway = events.filter((e) => e.tid === t.gatewayMain);
  let at = 0;
  for (const r of out) {
    while (at < gateway.length && (gateway[at] as TraceEvent).us < r.sent) at++;
    for (let i = at; i < gateway.length; i++) {
      const e = gateway[i] as TraceEvent;
      if (e.us > r.answered) break;
      const read = e.name === "syscalls:sys_exit_recvfrom" && returned(e) > 0;
      const write = e.name === "syscalls:sys_enter_sendto";
      if (r.gatewayRead === undefined) {
        if (read) r.gatewayRead = e.us;
      } else if (r.upstreamWrite === undefined) {
        if (write) r.upstreamWrite = e.us;
      } else if (r.upstreamRead === undefined) {
        if (read) r.upstreamRead = e.us;
      } else if (write) {
        r.clientWrite = e.us;
        break;
      }
    }
  }
  return out;
}

/** The longest of `spans` that starts inside [from, to). */
function longestRun(spans: readonly Span[] | undefined, from: number, to: number): number {
  let longest = 0;
  for (const x of spans ?? []) if (x.from >= from && x.from < to) longest = Math.max(longest, x.to - x.from);
  return longest;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

/** wrk 4's correction for coordinated omission: a latency L over twice the mean interval I adds samples L − I, L − 2I, … ≥ I. */
export function correctedP99(latencies: readonly number[], meanInterval: number): number {
  const xs: number[] = [];
  for (const l of latencies) {
    xs.push(l);
    if (l > 2 * meanInterval) for (let x = l - meanInterval; x >= meanInterval; x -= meanInterval) xs.push(x);
  }
  return percentile(
    xs.sort((a, b) => a - b),
    99,
  );
}

export interface Classified {
  requests: number;
  meanIntervalUs: number;
  p50Us: number;
  p99Us: number;
  correctedP99Us: number;
  /** Median µs of each stage: to the gateway's read, its request work, the upstream, its answer work, to wrk's read. */
  stages: number[];
  /** The main heap's collections: how many, their median length (with the log), and the median sweep after them. */
  collections: { count: number; medianUs: number; sweepMedianUs: number };
  slow: number;
  /** Per cause: slow requests, their µs over the median, and wrk's p99 without them. */
  causes: { cause: string; count: number; overUs: number; p99WithoutUs: number }[];
  p99WithoutCollectionsUs: number;
  p99WithoutSlowUs: number;
  lines: string[];
}

/** The sweep runs on a timer JSC sets at each collection's end (`IncrementalSweeper`: 100 ms). */
const SWEEP_AFTER_MS = [95, 110] as const;

export function classify(events: TraceEvent[], s: Schedule, t: Threads, slowUs: number): Classified {
  const gcs = collections(events, t.gatewayMain);
  const all = requests(events, t);
  const meanInterval = ((all.at(-1)?.answered ?? 0) - (all[0]?.sent ?? 0)) / all.length;
  const latency = (r: Request) => r.answered - r.sent;
  const sorted = all.map(latency).sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const phased = all.filter((r) => r.clientWrite !== undefined);
  const stagesOf = (r: Request) => {
    const marks = [
      r.sent,
      r.gatewayRead,
      r.upstreamWrite,
      r.upstreamRead,
      r.clientWrite,
      r.answered,
    ] as number[];
    return marks.slice(1).map((m, i) => m - (marks[i] as number));
  };
  const stages = [0, 1, 2, 3, 4].map((i) =>
    percentile(
      phased.map((r) => stagesOf(r)[i] as number).sort((a, b) => a - b),
      50,
    ),
  );
  const wrkTids = [...t.wrk];
  const partsOf = (r: Request): Record<string, number> => {
    const gc = gcs.reduce(
      (sum, g) => sum + Math.max(0, Math.min(r.answered, g.to) - Math.max(r.sent, g.from)),
      0,
    );
    const sum = (map: Map<number, Span[]>, tids: number[]) =>
      tids.reduce((x, tid) => x + overlap(map.get(tid), r.sent, r.answered), 0);
    return {
      collection: gc,
      "gateway main running": sum(s.onCpu, [t.gatewayMain]) - gc,
      "gateway main waiting": sum(s.waiting, [t.gatewayMain]),
      "upstream running": sum(s.onCpu, [t.upstreamMain]),
      "upstream waiting": sum(s.waiting, [t.upstreamMain]),
      "wrk running": sum(s.onCpu, wrkTids),
      "wrk waiting": sum(s.waiting, wrkTids),
    };
  };
  const medianParts: Record<string, number> = {};
  const partsAll = all.map(partsOf);
  for (const k of Object.keys(partsAll[0] ?? {}))
    medianParts[k] = percentile(
      partsAll.map((p) => p[k] as number).sort((a, b) => a - b),
      50,
    );

  const causeOf = new Map<Request, string>();
  const lines: string[] = [];
  for (const r of all) {
    if (latency(r) <= slowUs) continue;
    const over = Object.entries(partsOf(r))
      .map(([k, v]) => [k, v - (medianParts[k] ?? 0)] as const)
      .sort((a, b) => b[1] - a[1]);
    const top = over[0]?.[0] ?? "?";
    let cause = top;
    const last = gcs.filter((g) => g.to < r.sent).at(-1);
    const sinceMs = last ? (r.sent - last.to) / 1000 : Number.POSITIVE_INFINITY;
    if (top === "gateway main running") {
      cause =
        sinceMs >= SWEEP_AFTER_MS[0] && sinceMs <= SWEEP_AFTER_MS[1]
          ? "sweep ~100 ms after a collection"
          : "gateway main running: other work";
    } else if (top.endsWith("waiting")) {
      const tids = top.startsWith("gateway")
        ? [t.gatewayMain]
        : top.startsWith("upstream")
          ? [t.upstreamMain]
          : wrkTids;
      const held = new Map<string, number>();
      for (const tid of tids)
        for (const w of s.waiting.get(tid) ?? []) {
          if (w.to <= r.sent || w.from >= r.answered) continue;
          for (const [who, us] of holders(s.runs, Math.max(r.sent, w.from), Math.min(r.answered, w.to)))
            if (who !== "idle") held.set(who, (held.get(who) ?? 0) + us);
        }
      const who = [...held.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "?";
      cause = `${top} for a CPU held by ${who.startsWith("other process") ? "another process" : who}`;
    }
    causeOf.set(r, cause);
    const st =
      r.clientWrite === undefined
        ? ""
        : stagesOf(r)
            .map((x) => x.toFixed(0))
            .join(" ");
    const detail = over.filter(([, v]) => v > 30).map(([k, v]) => `${k} +${v.toFixed(0)}`);
    lines.push(
      `${(r.sent / 1e6).toFixed(6)} ${latency(r).toFixed(0)} µs | ${st} | ${cause} | ${detail.join(", ")}`,
    );
  }
  const without = (drop: (r: Request) => boolean) =>
    correctedP99(
      all.map((r) => (drop(r) ? p50 : latency(r))),
      meanInterval,
    );
  const names = [...new Set(causeOf.values())];
  const causes = names.map((cause) => {
    const mine = all.filter((r) => causeOf.get(r) === cause);
    return {
      cause,
      count: mine.length,
      overUs: mine.reduce((x, r) => x + latency(r) - p50, 0),
      p99WithoutUs: without((r) => causeOf.get(r) === cause),
    };
  });
  causes.sort((a, b) => a.p99WithoutUs - b.p99WithoutUs);
  const gcDurations = gcs.map((g) => g.to - g.from).sort((a, b) => a - b);
  // The sweep is one stretch on a CPU, where a request's work on the main thread is tens of µs.
  const sweeps = gcs
    .map((g) =>
      longestRun(
        s.onCpu.get(t.gatewayMain),
        g.to + SWEEP_AFTER_MS[0] * 1000,
        g.to + SWEEP_AFTER_MS[1] * 1000,
      ),
    )
    .sort((a, b) => a - b);
  return {
    requests: all.length,
    meanIntervalUs: meanInterval,
    p50Us: p50,
    p99Us: percentile(sorted, 99),
    correctedP99Us: correctedP99(all.map(latency), meanInterval),
    stages,
    collections: {
      count: gcs.length,
      medianUs: percentile(gcDurations, 50),
      sweepMedianUs: percentile(sweeps, 50),
    },
    slow: causeOf.size,
    causes,
    p99WithoutCollectionsUs: without((r) => {
      const c = causeOf.get(r);
      return c === "collection" || c === "sweep ~100 ms after a collection";
    }),
    p99WithoutSlowUs: without((r) => causeOf.has(r)),
    lines,
  };
}
