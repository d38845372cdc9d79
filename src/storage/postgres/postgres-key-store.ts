import type { SQL } from "bun";
import { keyRecordColumns, limitColumns } from "../key-record.ts";
import { type KeyRow, keyRecordOf } from "../key-row.ts";
import type { KeyStore } from "../storage.ts";
import { guarded } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { keyMigrations } from "./postgres-migrations.ts";
import { asNumber } from "./postgres-values.ts";

/** Serialises key changes so `seq` is also commit order ("mgwk" as an int). */
const CHANGE_LOCK = 0x6d67776b;
const PAGE = 500;

/**
 * KeyStore over PostgreSQL. `seq` is the change log other nodes follow (`changedSince`): each
 * change takes the next number while holding a transaction-scoped advisory lock, so numbers
 * commit in order and a reader that has seen N never later finds a smaller one appear.
 */
export async function createPostgresKeyStore(sql: SQL): Promise<KeyStore> {
  await migratePostgres(sql, "keys", keyMigrations);
  const one = async (where: "id" | "hash", value: string) => {
    const rows: KeyRow[] =
      where === "id"
        ? await sql`SELECT * FROM api_keys WHERE id = ${value}`
        : await sql`SELECT * FROM api_keys WHERE hash = ${value}`;
    return rows[0] ? keyRecordOf(rows[0]) : null;
  };
  /** Runs a change with the next seq, in commit order. */
  const change = (work: (tx: SQL, seq: number) => Promise<unknown>) =>
    sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${CHANGE_LOCK})`;
      const [next] = await tx`SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM api_keys`;
      await work(tx, asNumber((next as { seq: string }).seq));
    });

  return {
    create: (record) =>
      guarded(async () => {
        await change((tx, seq) => tx`INSERT INTO api_keys ${sql({ ...keyRecordColumns(record), seq })}`);
      }),
    getByHash: (hash) => guarded(() => one("hash", hash)),
    getById: (id) => guarded(() => one("id", id)),
    findByName: (name) =>
      guarded(async () => {
        const rows: KeyRow[] =
          await sql`SELECT * FROM api_keys WHERE name = ${name} ORDER BY created_at DESC, seq DESC`;
        return rows.map(keyRecordOf);
      }),
    list: (filter = {}) =>
      guarded(async () => {
        const rows: KeyRow[] = await sql`SELECT * FROM api_keys ORDER BY created_at DESC, seq DESC`;
        return rows
          .map(keyRecordOf)
          .filter((k) => (filter.includeRevoked ?? true) || k.revokedAt === null)
          .filter((k) => filter.tenant === undefined || k.tenant === filter.tenant);
      }),
    count: () =>
      guarded(async () => {
        const [row] = await sql`SELECT count(*) AS n FROM api_keys`;
        return asNumber((row as { n: string }).n);
      }),
    revoke: (id, at) =>
      guarded(async () => {
        await change(
          (tx, seq) =>
            tx`UPDATE api_keys SET revoked_at = ${at}, seq = ${seq} WHERE id = ${id} AND revoked_at IS NULL`,
        );
        return one("id", id);
      }),
    setExpiresAt: (id, at) =>
      guarded(async () => {
        await change((tx, seq) => tx`UPDATE api_keys SET expires_at = ${at}, seq = ${seq} WHERE id = ${id}`);
        return one("id", id);
      }),
    setLimits: (id, limits) =>
      guarded(async () => {
        await change(
          (tx, seq) => tx`UPDATE api_keys SET ${sql({ ...limitColumns(limits), seq })} WHERE id = ${id}`,
        );
        return one("id", id);
      }),
    touch: (lastUsed) =>
      guarded(async () => {
        if (lastUsed.size === 0) return;
        const ids = [...lastUsed.keys()];
        const times = ids.map((id) => lastUsed.get(id) ?? 0);
        // One statement for the whole batch; the latest use wins across nodes.
        await sql`UPDATE api_keys AS k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), u.at)
          FROM (SELECT unnest(${sql.array(ids, "TEXT")}::text[]) AS id,
                       unnest(${sql.array(times, "INT8")}::bigint[]) AS at) AS u
          WHERE k.id = u.id`;
      }),
    cursor: () =>
      guarded(async () => {
        const [row] = await sql`SELECT COALESCE(MAX(seq), 0) AS s FROM api_keys`;
        return asNumber((row as { s: string }).s);
      }),
    changedSince: (cursor) =>
      guarded(async () => {
        const rows: KeyRow[] =
          await sql`SELECT * FROM api_keys WHERE seq > ${cursor} ORDER BY seq LIMIT ${PAGE}`;
        const last = rows.at(-1);
        return { records: rows.map(keyRecordOf), cursor: last ? asNumber(last.seq) : cursor };
      }),
  };
}
