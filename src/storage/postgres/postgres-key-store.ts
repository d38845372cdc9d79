import type { SQL } from "bun";
import { keyListingWhere } from "../key-listing-sql.ts";
import { type KeyRecord, keyRecordColumns, limitColumns } from "../key-record.ts";
import { type KeyRow, keyRecordOf } from "../key-row.ts";
import type { KeyStore } from "../storage.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { keyMigrations } from "./postgres-key-migrations.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { asNumber } from "./postgres-values.ts";

/** Serialises key changes so `seq` is also commit order ("mgwk" as an int). */
const CHANGE_LOCK = 0x6d67776b;
const PAGE = 500;

/**
 * KeyStore over PostgreSQL. `seq` is the change log other nodes follow (`changedSince`): each
 * change takes the next number while holding a transaction-scoped advisory lock, so numbers
 * commit in order and a reader that has seen N never later finds a smaller one appear.
 */
export async function createPostgresKeyStore(sql: SQL, calls: PostgresCalls): Promise<KeyStore> {
  await migratePostgres(sql, "keys", keyMigrations);
  const byId = (db: SQL, id: string) => db`SELECT * FROM api_keys WHERE id = ${id}`;
  const first = (rows: KeyRow[]) => (rows[0] ? keyRecordOf(rows[0]) : null);
  /** Runs a change with the next seq, in commit order; resolves with `work`'s result. */
  const change = <T>(work: (tx: SQL, seq: number) => Promise<T>) =>
    calls.transaction(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${CHANGE_LOCK})`;
      const [next] = await tx`SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM api_keys`;
      return work(tx, asNumber((next as { seq: string }).seq));
    });
  // `shares_chain_spend`: this release copies no spend at a rotation (key migration 6 refuses a
  // rotation's key inserted without it, an older release's).
  const insert = (tx: SQL, record: KeyRecord, seq: number) =>
    tx`INSERT INTO api_keys ${tx({ ...keyRecordColumns(record), seq, shares_chain_spend: true })}`;
  // Under the change lock, as every insert is: of several nodes bootstrapping at once, one inserts.
  const createIfOnly = (record: KeyRecord, ids: readonly string[]) =>
    change(async (tx, seq) => {
      const others =
        await tx`SELECT 1 FROM api_keys WHERE id <> ALL(${tx.array([...ids], "TEXT")}::text[]) LIMIT 1`;
      if (others.length > 0) return false;
      await insert(tx, record, seq);
      return true;
    });

  return {
    async create(record) {
      await change((tx, seq) => insert(tx, record, seq));
    },
    createIfEmpty: (record) => createIfOnly(record, []),
    createIfOnly,
    getByHash: async (hash) =>
      first(await calls.read((db) => db`SELECT * FROM api_keys WHERE hash = ${hash}`)),
    getById: async (id) => first(await calls.read((db) => byId(db, id))),
    async findByName(name) {
      const rows: KeyRow[] = await calls.read(
        (db) => db`SELECT * FROM api_keys WHERE name = ${name} ORDER BY created_at DESC, seq DESC`,
      );
      return rows.map(keyRecordOf);
    },
    async list(filter = {}) {
      const { where, params } = keyListingWhere(
        { tenant: filter.tenant, withoutRevoked: !(filter.includeRevoked ?? true) },
        (n) => `$${n}`,
      );
      const rows: KeyRow[] = await calls.read((db) =>
        db.unsafe(`SELECT * FROM api_keys ${where} ORDER BY created_at DESC, seq DESC`, params),
      );
      return rows.map(keyRecordOf);
    },
    async page(filter, after, limit) {
      const { where, params } = keyListingWhere({ ...filter, after }, (n) => `$${n}`);
      const rows: KeyRow[] = await calls.read((db) =>
        db.unsafe(
          `SELECT * FROM api_keys ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1}`,
          [...params, limit],
        ),
      );
      return rows.map(keyRecordOf);
    },
    async count() {
      const [row] = await calls.read((db) => db`SELECT count(*) AS n FROM api_keys`);
      return asNumber((row as { n: string }).n);
    },
    async countActive(tenants, now) {
      // Over the partial index api_keys_active (key migration 3): never the rows themselves (as below).
      const rows: { tenant: string; n: string }[] = await calls.read(
        (db) => db`SELECT tenant, count(*) AS n FROM api_keys
          WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${now})
            AND tenant = ANY(${db.array([...tenants], "TEXT")}::text[])
          GROUP BY tenant`,
      );
      return new Map(rows.map((row) => [row.tenant, asNumber(row.n)]));
    },
    async countActiveOutside(tenants, now) {
      const rows: { tenant: string; n: string }[] = await calls.read(
        (db) => db`SELECT tenant, count(*) AS n FROM api_keys
          WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${now})
            AND tenant <> ALL(${db.array([...tenants], "TEXT")}::text[])
          GROUP BY tenant`,
      );
      return new Map(rows.map((row) => [row.tenant, asNumber(row.n)]));
    },
    revoke: (id, at) =>
      change(async (tx, seq) => {
        await tx`UPDATE api_keys SET revoked_at = ${at}, seq = ${seq} WHERE id = ${id} AND revoked_at IS NULL`;
        return first(await byId(tx, id));
      }),
    setExpiresAt: (id, at) =>
      change(async (tx, seq) => {
        await tx`UPDATE api_keys SET expires_at = ${at}, seq = ${seq} WHERE id = ${id}`;
        return first(await byId(tx, id));
      }),
    // Only while the key is as read: unrevoked, not one of its limits moved meanwhile (another
    // admin's change, a rotation bounding its expiry), and, read with its seq, no change at all
    // since (a rotation's end that moved nothing). Models compared as JSON, not as spelt, by a
    // function that never fails (keys migration 4).
    setLimits: (id, limits, asRead) => {
      const read = limitColumns(asRead);
      return change(async (tx, seq) =>
        first(
          await tx`UPDATE api_keys SET ${tx({ ...limitColumns(limits), seq })}
            WHERE id = ${id} AND revoked_at IS NULL AND api_key_models_match(models, ${read.models}::text)
              AND rpm IS NOT DISTINCT FROM ${read.rpm}::integer AND tpm IS NOT DISTINCT FROM ${read.tpm}::bigint
              AND budget_usd IS NOT DISTINCT FROM ${read.budget_usd}::double precision
              AND expires_at IS NOT DISTINCT FROM ${read.expires_at}::bigint
              AND (${asRead.version ?? null}::bigint IS NULL OR seq = ${asRead.version ?? null}::bigint)
            RETURNING *`,
        ),
      );
    },
    async touch(lastUsed) {
      if (lastUsed.size === 0) return;
      const ids = [...lastUsed.keys()];
      const times = ids.map((id) => lastUsed.get(id) ?? 0);
      // One statement for the whole batch; the latest use wins across nodes.
      await calls.write(
        (db) => db`UPDATE api_keys AS k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), u.at)
          FROM (SELECT unnest(${db.array(ids, "TEXT")}::text[]) AS id,
                       unnest(${db.array(times, "INT8")}::bigint[]) AS at) AS u
          WHERE k.id = u.id`,
      );
    },
    async cursor() {
      const [row] = await calls.read((db) => db`SELECT COALESCE(MAX(seq), 0) AS s FROM api_keys`);
      return asNumber((row as { s: string }).s);
    },
    async changedSince(cursor) {
      const rows: KeyRow[] = await calls.read(
        (db) => db`SELECT * FROM api_keys WHERE seq > ${cursor} ORDER BY seq LIMIT ${PAGE}`,
      );
      const last = rows.at(-1);
      return { records: rows.map(keyRecordOf), cursor: last ? asNumber(last.seq) : cursor };
    },
  };
}
