import { statusClassOf } from "../audit/audit-record.ts";
import type { HeartbeatBounds } from "./heartbeat-bounds.ts";
import type { WorkerRow } from "./tail-store.ts";

/** An ink colour name. */
export type Colour = "green" | "blue" | "cyan" | "yellow" | "red" | "gray";

/** Status colour by class: 1xx blue (an upgrade), 2xx green, 3xx cyan, 4xx yellow, 5xx red; gray in flight. */
export function statusColour(status: number | null): Colour {
  if (status === null) return "gray";
  const colours = { "1xx": "blue", "2xx": "green", "3xx": "cyan", "4xx": "yellow", "5xx": "red" } as const;
  return colours[statusClassOf(status)];
}

/**
 * A worker's state as the pane shows it: lost; left (its drain over, gone as it said it would);
 * its heartbeat stale (it is about to be removed); out of rotation (its model server kept
 * failing: passed over until then, as the web UI's Workers page says); draining (finishing its
 * calls, taking no new one, then leaving); its heartbeat late; or ok.
 */
export function workerHealth(
  worker: WorkerRow,
  now: number,
  bounds: HeartbeatBounds,
): { label: string; colour: Colour } {
  if (worker.gone?.how === "lost") return { label: "lost", colour: "red" };
  if (worker.gone?.how === "left") return { label: "left", colour: "gray" };
  const age = now - worker.lastHeartbeatAt;
  if (age >= bounds.staleMs) return { label: `stale ${seconds(age)}`, colour: "red" };
  const out = worker.ejectedUntil === undefined ? 0 : worker.ejectedUntil - now;
  if (out > 0) return { label: `out ${seconds(out)}`, colour: "red" };
  if (worker.draining === true) return { label: "draining", colour: "yellow" };
  if (age >= bounds.lateMs) return { label: `late ${seconds(age)}`, colour: "yellow" };
  return { label: "ok", colour: "green" };
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;
