import type { Database } from "bun:sqlite";
import { keyListingWhere } from "../key-listing-sql.ts";
import { type KeyRecord, keyRecordColumns, limitColumns } from "../key-record.ts";
import { type KeyRow, keyRecordOf } from "../key-row.ts";
import type { KeyStore } from "../storage.ts";
import { keyMigrations } from "./key-migrations.ts";
import { migrate } from "./migrate.ts";

const COLUMNS =
  "id, hash, prefix, last4, name, tenant, role, models, rpm, tpm, budget_usd, expires_at, revoked_at, created_at, last_used_at, chain, seq";
// Every change takes the next seq inside its own statement: SQLite serialises writers, so
// seq is a change log readers in other processes can follow (see KeyStore.changedSince).
const NEXT_SEQ = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM api_keys)";
const PAGE = 500;

/** KeyStore over bun:sqlite. Migrates its own tables on construction. */
export function createSqliteKeyStore(db: Database): KeyStore {
  migrate(db, "keys", keyMigrations);
  // `shares_chain_spend`: this release copies no spend at a rotation (key migration 5 refuses a
  // rotation's key inserted without it, an older release's).
  const insert = db.query(
    `INSERT INTO api_keys (${COLUMNS}, shares_chain_spend) VALUES ($id, $hash, $prefix, $last4, $name, $tenant, $role, $models, $rpm, $tpm, $budget_usd, $expires_at, $revoked_at, $created_at, $last_used_at, $chain, ${NEXT_SEQ}, 1)`,
  );
  const byHash = db.query<KeyRow, [string]>(`SELECT ${COLUMNS} FROM api_keys WHERE hash = ?`);
  const byId = db.query<KeyRow, [string]>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`);
  const byName = db.query<KeyRow, [string]>(
    `SELECT ${COLUMNS} FROM api_keys WHERE name = ? ORDER BY created_at DESC, seq DESC`,
  );
  // Counted over the partial index api_keys_active (key migration 3): never the rows themselves.
  const activeCounts = db.query<{ tenant: string; n: number }, [number, string]>(
    `SELECT tenant, count(*) AS n FROM api_keys
     WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
       AND tenant IN (SELECT value FROM json_each(?))
     GROUP BY tenant`,
  );
  const activeCountsOutside = db.query<{ tenant: string; n: number }, [number, string]>(
    `SELECT tenant, count(*) AS n FROM api_keys
     WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
       AND tenant NOT IN (SELECT value FROM json_each(?))
     GROUP BY tenant`,
  );
  const revoke = db.query(
    `UPDATE api_keys SET revoked_at = ?, seq = ${NEXT_SEQ} WHERE id = ? AND revoked_at IS NULL`,
  );
  const expire = db.query(`UPDATE api_keys SET expires_at = ?, seq = ${NEXT_SEQ} WHERE id = ?`);
  // Only while the key is as read: unrevoked, not one of its limits moved meanwhile (another
  // admin's change, a rotation bounding its expiry), and, read with its seq, no change at all since
  // (a rotation's end that moved nothing). Models compared as JSON, not as spelt.
  const setLimits = db.query(
    `UPDATE api_keys SET models = $models, rpm = $rpm, tpm = $tpm, budget_usd = $budget_usd, expires_at = $expires_at, seq = ${NEXT_SEQ}
     WHERE id = $id AND revoked_at IS NULL AND json(models) = json($read_models) AND rpm IS $read_rpm
       AND tpm IS $read_tpm AND budget_usd IS $read_budget_usd AND expires_at IS $read_expires_at
       AND ($read_seq IS NULL OR seq = $read_seq)`,
  );
  const touch = db.query("UPDATE api_keys SET last_used_at = max(COALESCE(last_used_at, 0), ?) WHERE id = ?");
  const maxSeq = db.query<{ s: number | null }, []>("SELECT MAX(seq) AS s FROM api_keys");
  const since = db.query<KeyRow, [number, number]>(
    `SELECT ${COLUMNS} FROM api_keys WHERE seq > ? ORDER BY seq LIMIT ?`,
  );
  const touchAll = db.transaction((entries: ReadonlyMap<string, number>) => {
    for (const [id, at] of entries) touch.run(at, id);
  });
  const anyOther = db.query<{ one: number }, [string]>(
    "SELECT 1 AS one FROM api_keys WHERE id NOT IN (SELECT value FROM json_each(?)) LIMIT 1",
  );
  // IMMEDIATE: the write lock is taken before the check, so no other process inserts in between.
  const insertIfOnly = db.transaction((record: KeyRecord, ids: readonly string[]) => {
    if (anyOther.get(JSON.stringify(ids))) return false;
    insert.run(keyRecordColumns(record));
    return true;
  });
  const get = (id: string) => {
    const row = byId.get(id);
    return row ? keyRecordOf(row) : null;
  };

  return {
    async create(record) {
      insert.run(keyRecordColumns(record));
    },
    async createIfEmpty(record) {
      return insertIfOnly.immediate(record, []);
    },
    async createIfOnly(record, ids) {
      return insertIfOnly.immediate(record, ids);
    },
    async getByHash(hash) {
      const row = byHash.get(hash);
      return row ? keyRecordOf(row) : null;
    },
    async getById(id) {
      return get(id);
    },
    async findByName(name) {
      return byName.all(name).map(keyRecordOf);
    },
    async list(filter = {}) {
      const { where, params } = keyListingWhere(
        { tenant: filter.tenant, withoutRevoked: !(filter.includeRevoked ?? true) },
        () => "?",
      );
      const rows = db
        .query<KeyRow, (string | number)[]>(
          `SELECT ${COLUMNS} FROM api_keys ${where} ORDER BY created_at DESC, seq DESC`,
        )
        .all(...params);
      return rows.map(keyRecordOf);
    },
    async page(filter, after, limit) {
      const { where, params } = keyListingWhere({ ...filter, after }, () => "?");
      const rows = db
        .query<KeyRow, (string | number)[]>(
          `SELECT ${COLUMNS} FROM api_keys ${where} ORDER BY created_at DESC, id DESC LIMIT ?`,
        )
        .all(...params, limit);
      return rows.map(keyRecordOf);
    },
    async count() {
      return db.query<{ n: number }, []>("SELECT count(*) AS n FROM api_keys").get()?.n ?? 0;
    },
    async countActive(tenants, now) {
      const rows = activeCounts.all(now, JSON.stringify(tenants));
      return new Map(rows.map((row) => [row.tenant, row.n]));
    },
    async countActiveOutside(tenants, now) {
      const rows = activeCountsOutside.all(now, JSON.stringify(tenants));
      return new Map(rows.map((row) => [row.tenant, row.n]));
    },
    async revoke(id, at) {
      revoke.run(at, id);
      return get(id);
    },
    async setExpiresAt(id, at) {
      expire.run(at, id);
      return get(id);
    },
    async setLimits(id, limits, asRead) {
      const read = limitColumns(asRead);
      const { changes } = setLimits.run({
        id,
        ...limitColumns(limits),
        read_models: read.models,
        read_rpm: read.rpm,
        read_tpm: read.tpm,
        read_budget_usd: read.budget_usd,
        read_expires_at: read.expires_at,
        read_seq: asRead.version ?? null,
      });
      return changes === 0 ? null : get(id);
    },
    async touch(lastUsed) {
      if (lastUsed.size > 0) touchAll(lastUsed);
    },
    async cursor() {
      return maxSeq.get()?.s ?? 0;
    },
    async changedSince(cursor) {
      const rows = since.all(cursor, PAGE);
      const last = rows.at(-1);
      return { records: rows.map(keyRecordOf), cursor: last ? Number(last.seq) : cursor };
    },
  };
}
