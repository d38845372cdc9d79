import { randomUUID } from "node:crypto";
import type { SQL } from "bun";
import { migratePostgres } from "./postgres-migrate.ts";
import { clusterMigrations } from "./postgres-migrations.ts";

/**
 * The id of the cluster whose nodes share this database, made at random by the first node that
 * asks (nodes starting together agree: the first insert wins, the others read it). Nothing is
 * derived from `cluster.secret`, so the id says nothing of it and outlives a change of it.
 */
export async function postgresClusterId(sql: SQL): Promise<string> {
  await migratePostgres(sql, "cluster", clusterMigrations);
  await sql`INSERT INTO cluster_meta (cluster_id, created_at)
            VALUES (${randomUUID()}, ${Date.now()}) ON CONFLICT DO NOTHING`;
  const rows: { cluster_id: string }[] = await sql`SELECT cluster_id FROM cluster_meta`;
  const id = rows[0]?.cluster_id;
  if (id === undefined) throw new Error("cluster_meta holds no cluster id");
  return id;
}
