import { statusClassOf } from "../audit/audit-record.ts";
import type { WorkerRow } from "./tail-store.ts";

/** An ink colour name. */
export type Colour = "green" | "blue" | "cyan" | "yellow" | "red" | "gray";

/** Status colour by class: 1xx blue (an upgrade), 2xx green, 3xx cyan, 4xx yellow, 5xx red; gray in flight. */
export function statusColour(status: number | null): Colour {
  if (status === null) return "gray";
  const colours = { "1xx": "blue", "2xx": "green", "3xx": "cyan", "4xx": "yellow", "5xx": "red" } as const;
  return colours[statusClassOf(status)];
}

/** Heartbeats older than these read as late, then stale. */
export const HEARTBEAT_LATE_MS = 15_000;
export const HEARTBEAT_STALE_MS = 45_000;

/**
 * A worker's state as the pane shows it: lost; left (its drain over, gone as it said it would);
 * its heartbeat stale (it is about to be removed); draining (finishing its calls, taking no new
 * one, then leaving); its heartbeat late; or ok.
 */
export function workerHealth(worker: WorkerRow, now: number): { label: string; colour: Colour } {
  if (worker.gone?.how === "lost") return { label: "lost", colour: "red" };
  if (worker.gone?.how === "left") return { label: "left", colour: "gray" };
  const age = now - worker.lastHeartbeatAt;
  if (age >= HEARTBEAT_STALE_MS) return { label: `stale ${Math.round(age / 1000)}s`, colour: "red" };
  if (worker.draining === true) return { label: "draining", colour: "yellow" };
  if (age >= HEARTBEAT_LATE_MS) return { label: `late ${Math.round(age / 1000)}s`, colour: "yellow" };
  return { label: "ok", colour: "green" };
}
