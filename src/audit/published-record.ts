import type { AuditRecord } from "./audit-record.ts";

/**
 * An audit record as events carry it — the live stream (`mindgw tail`, the web UI's live mode),
 * webhooks, the Redis stream, the cluster's relay, an embedder's sinks: never with its bodies.
 * Bodies are kept in the audit row alone, behind the redaction hook; a reader that wants them
 * reads the row (`/admin/api/audit?bodies=true`). A sink's queue never holds a prompt or an image.
 */
export type PublishedRecord = Omit<AuditRecord, "requestBody" | "responseBody"> & {
  readonly requestBody?: never;
  readonly responseBody?: never;
};

/** The record without its bodies; the common case (none captured: `audit.bodies` off) is no copy. */
export function withoutBodies(record: AuditRecord): PublishedRecord {
  if (record.requestBody === undefined && record.responseBody === undefined) return record as PublishedRecord;
  const { requestBody: _request, responseBody: _response, ...rest } = record;
  return rest;
}
