import { Database } from "bun:sqlite";
import type { AuditRecord } from "../../../src/audit/audit-record.ts";
import type { AdminTarget } from "./admin-api.ts";
import { runMindgw } from "./run-mindgw.ts";
import type { GatewayProcess } from "./spawn-gateway.ts";

/** GET an admin API path with the bootstrap admin key; throws on a non-2xx answer. */
export async function adminGet<T>(gw: AdminTarget, path: string): Promise<T> {
  const response = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Every audit row of the running gateway (all pages), newest first. */
export async function allAuditRows(gw: AdminTarget, query = ""): Promise<AuditRecord[]> {
  const rows: AuditRecord[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set("limit", "1000");
    if (cursor !== null) params.set("cursor", cursor);
    const page: { records: AuditRecord[]; nextCursor: string | null } = await adminGet(
      gw,
      `/admin/api/audit?${params}`,
    );
    rows.push(...page.records);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return rows;
}

/**
 * Every audit row `mindgw audit query -c <configPath> --json` prints: the local CLI's read of the
 * database. A run that fails throws with what it said, not a JSON parse error of its empty stdout.
 */
export async function cliAuditRows(configPath: string): Promise<AuditRecord[]> {
  const { code, stdout, stderr } = await runMindgw(["audit", "query", "-c", configPath, "--json"]);
  if (code !== 0) throw new Error(`mindgw audit query -c ${configPath} exited ${code}: ${stderr}`);
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as AuditRecord);
}

/** Creates an API key through the admin API and returns its plain key and id. */
export async function createKey(
  gw: GatewayProcess,
  input: Record<string, unknown>,
): Promise<{ key: string; id: string }> {
  const response = await fetch(`${gw.url}/admin/api/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  if (!response.ok) throw new Error(`create key: ${response.status} ${await response.text()}`);
  return (await response.json()) as { key: string; id: string };
}

/** Opens the database file read-only (the gateway may still be running on it). */
export function withDb<T>(path: string, read: (db: Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export const rowCount = (path: string): number =>
  withDb(path, (db) => db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log").get()?.n ?? 0);

export const integrityCheck = (path: string): string =>
  withDb(
    path,
    (db) => db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check ?? "",
  );

/** A chat completion body for the fake upstream. */
export const chatBody = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "hello" }],
  ...extra,
});
