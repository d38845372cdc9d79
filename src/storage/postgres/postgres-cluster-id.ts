import { randomUUID } from "node:crypto";
import { madeOnce } from "../made-once.ts";
import type { PostgresCalls } from "./postgres-calls.ts";

/**
 * The id of the cluster whose nodes share this database, read when a cluster node asks for it
 * (never at open: a command, or a node without `cluster:`, neither reads nor writes it). Made at
 * random by the first node that finds none (nodes starting together agree: the first insert wins,
 * the others read it); once made, asking only reads. Each call is bounded as any store call's.
 * Nothing of `cluster.secret` goes into it, so it says nothing of the secret and outlives a change
 * of it.
 */
export const postgresClusterId = (calls: PostgresCalls): Promise<string> =>
  madeOnce(
    "cluster_meta's cluster id",
    () => readClusterId(calls),
    () =>
      calls.write(
        (db) =>
          db`INSERT INTO cluster_meta (cluster_id, created_at) VALUES (${randomUUID()}, ${Date.now()}) ON CONFLICT DO NOTHING`,
      ),
  );

async function readClusterId(calls: PostgresCalls): Promise<string | undefined> {
  const rows = await calls.read<{ cluster_id: string }[]>((db) => db`SELECT cluster_id FROM cluster_meta`);
  return rows[0]?.cluster_id;
}
