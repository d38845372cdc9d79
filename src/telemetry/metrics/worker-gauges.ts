import { Gauge, type Registry } from "prom-client";
import type { WorkerLoad } from "./metric-sources.ts";

/**
 * Whether a worker's room is room for new calls: neither draining (it takes none) nor out of
 * rotation (passed over while another worker serves its models, and its answers fail: the room
 * left would promise calls it cannot serve).
 */
const takesNewCalls = (w: WorkerLoad): boolean => w.draining !== true && w.ejectedUntil === undefined;

/** A worker gauge's labels: whether the workers drain, and whether they are out of rotation. */
interface WorkerState {
  readonly draining: "false" | "true";
  readonly out_of_rotation: "false" | "true";
}

/** The four states, each one label object for every scrape: a worker costs a scrape none. */
const TAKING_CALLS: WorkerState = { draining: "false", out_of_rotation: "false" };
const OUT_OF_ROTATION: WorkerState = { draining: "false", out_of_rotation: "true" };
const DRAINING: WorkerState = { draining: "true", out_of_rotation: "false" };
const DRAINING_OUT_OF_ROTATION: WorkerState = { draining: "true", out_of_rotation: "true" };
const WORKER_STATES = [TAKING_CALLS, OUT_OF_ROTATION, DRAINING, DRAINING_OUT_OF_ROTATION] as const;

function stateOf(w: WorkerLoad): WorkerState {
  const out = w.ejectedUntil !== undefined;
  if (w.draining === true) return out ? DRAINING_OUT_OF_ROTATION : DRAINING;
  return out ? OUT_OF_ROTATION : TAKING_CALLS;
}

/**
 * The connected workers' gauges, read at scrape time: how many, their calls in flight, each by
 * state, and the room of those taking new calls.
 */
export function registerWorkerGauges(registers: Registry[], workers: () => readonly WorkerLoad[]): void {
  // Workers and their calls by state: draining or not (`draining`), out of rotation or not
  // (`out_of_rotation`), every pair always a series (so a drain or an ejection mints none). Their
  // sums are the connected workers and their calls; those neither draining nor out of rotation take
  // new calls, and their calls are what takes from the room `mindgw_worker_capacity` holds.
  const byState = (name: string, help: string, count: (w: WorkerLoad) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["draining", "out_of_rotation"],
      registers,
      collect() {
        for (const state of WORKER_STATES) this.set(state, 0);
        for (const w of workers()) this.inc(stateOf(w), count(w));
      },
    });
  byState(
    "mindgw_workers_connected",
    "Workers connected to this gateway: draining or not, out of rotation or not",
    () => 1,
  );
  byState(
    "mindgw_worker_requests_in_flight",
    "Requests being served by connected workers: draining or not, out of rotation or not",
    (w) => w.inFlight,
  );
  // What can take new calls: a draining worker's concurrency is none of it, whatever its room, and
  // nor is a worker's out of rotation.
  new Gauge({
    name: "mindgw_worker_capacity",
    help: "Concurrent requests the connected workers taking new calls accept in total (a draining worker or one out of rotation none)",
    registers,
    collect() {
      let capacity = 0;
      for (const w of workers()) if (takesNewCalls(w)) capacity += w.capacity;
      this.set(capacity);
    },
  });
}
