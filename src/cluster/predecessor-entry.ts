import { z } from "zod";
import type { PeerWorker } from "./directory-workers.ts";

/** A predecessor's worker as this node lists it: all it said, but draining and closed, which are this node's to say. */
type InheritedWorker = Omit<PeerWorker, "draining" | "closed">;

/**
 * A field for every field of a listed worker, of its type: a field added to `NodeEntry`'s workers
 * fails to compile here until it is read (or named above as this node's), never silently dropped.
 */
const inheritedWorkerFields = {
  name: z.string(),
  tenant: z.string().optional(),
  models: z.array(z.string()),
  inFlight: z.number(),
  capacity: z.number(),
  responsesApi: z.boolean().optional(),
} satisfies { [K in keyof InheritedWorker]-?: z.ZodType<InheritedWorker[K]> };
const inheritedWorkerSchema = z.object(inheritedWorkerFields);

/**
 * What a node starting under an id reads of the entry left under it: its workers, each read alone.
 * Not its `at`: that is the predecessor's clock, perhaps another host's (how long the entry stands
 * is Redis's to say: the key's time to live).
 */
const predecessorEntrySchema = z.object({ workers: z.array(z.unknown()) });

/**
 * The workers the entry left under this node's id lists, each draining and closed (none is
 * connected here yet); null when it lists none this build can read. `entry` is one read as every
 * entry is (directory-redis.ts `sealedEntry`: sealed with the secret, lately, under its own id):
 * a value planted there by whoever reaches Redis lends the node no workers. A worker this build
 * cannot read (a release's of other fields) is left out, the others kept.
 */
export function predecessorWorkers(entry: unknown): Map<string, PeerWorker> | null {
  const parsed = predecessorEntrySchema.safeParse(entry);
  if (!parsed.success) return null;
  const workers = new Map<string, PeerWorker>();
  for (const listed of parsed.data.workers) {
    const worker = inheritedWorkerSchema.safeParse(listed);
    if (worker.success) workers.set(worker.data.name, { ...worker.data, draining: true, closed: true });
  }
  return workers.size === 0 ? null : workers;
}
