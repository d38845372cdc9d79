import { z } from "zod";
import type { PeerWorker } from "./directory-workers.ts";

/** What a node starting under an id reads of the entry left under it: when it was written, and its workers. */
const predecessorEntrySchema = z.object({
  at: z.number(),
  workers: z.array(
    z.object({
      name: z.string(),
      tenant: z.string().optional(),
      models: z.array(z.string()),
      inFlight: z.number(),
      capacity: z.number(),
      responsesApi: z.boolean().optional(),
    }),
  ),
});

/**
 * The workers the entry left under this node's id lists, each draining and closed (none is
 * connected here yet), with when that entry would expire; null when it lists none, or is no entry
 * this build can read (not JSON, or not of an entry's shape): a node starts whatever Redis holds.
 */
export function predecessorWorkers(
  text: string,
  heartbeatMs: number,
): { workers: Map<string, PeerWorker>; until: number } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = predecessorEntrySchema.safeParse(value);
  if (!parsed.success || parsed.data.workers.length === 0) return null;
  const { at, workers } = parsed.data;
  return {
    workers: new Map(workers.map((w) => [w.name, { ...w, draining: true, closed: true } as const])),
    until: at + 3 * heartbeatMs,
  };
}
