import type { AuditRecord } from "../../../src/audit/audit-record.ts";
import { waitFor } from "./wait-for.ts";

/** What `/admin/api/*` calls need: the gateway's URL and an admin key. */
export interface AdminTarget {
  readonly url: string;
  readonly adminKey: string | null;
}

const auth = (target: AdminTarget) => {
  if (!target.adminKey) throw new Error("no admin key: the gateway printed none on start");
  return { authorization: `Bearer ${target.adminKey}` };
};

/** Creates a key through `POST /admin/api/keys`; returns the plain key and its id. */
export async function createKey(
  target: AdminTarget,
  input: {
    name: string;
    tenant?: string;
    role?: string;
    models?: string[];
    rpm?: number;
    tpm?: number;
    budget_usd?: number;
  },
): Promise<{ key: string; id: string }> {
  const response = await fetch(`${target.url}/admin/api/keys`, {
    method: "POST",
    headers: { ...auth(target), "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as { key?: string; id?: string };
  if (response.status !== 201 || !body.key) {
    throw new Error(`creating key ${input.name} failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return { key: body.key, id: body.id ?? "" };
}

/** One page of `/admin/api/audit` (newest first) for the given filters. */
export async function auditRecords(
  target: AdminTarget,
  filters: Record<string, string> = {},
): Promise<AuditRecord[]> {
  const query = new URLSearchParams({ limit: "1000", ...filters });
  const response = await fetch(`${target.url}/admin/api/audit?${query}`, { headers: auth(target) });
  if (!response.ok) throw new Error(`audit query failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { records: AuditRecord[] }).records;
}

/** Waits (bounded) until the audit log holds the row of this request id, written off the request path. */
export function auditRow(target: AdminTarget, requestId: string, timeoutMs = 15_000): Promise<AuditRecord> {
  return waitFor(
    `the audit row of ${requestId}`,
    async () => (await auditRecords(target)).find((record) => record.requestId === requestId),
    timeoutMs,
    50,
  );
}
