import { z } from "zod";
import { EXPORT_CONTENT_TYPE, type ExportFormat, exportAudit } from "../../audit/audit-export.ts";
import { type AuditPage, queryAudit } from "../../audit/audit-query.ts";
import { auditQuerySchema } from "../../audit/audit-query-schema.ts";
import { auditRecordSchema } from "../../audit/audit-record-schema.ts";
import type { Config } from "../../config/config-schema.ts";
import { mediaType } from "../../core/media-type.ts";
import { parseInput } from "../../http/parse-input.ts";
import { adminFetch } from "../admin-fetch.ts";
import { adminStream } from "../admin-stream.ts";
import { answeredShape } from "../answered-shape.ts";
import { openCommandStorage, requirePostgresSchema } from "../config-store.ts";
import { gatewayTenantNames } from "../gateway-tenant-names.ts";
import { openReadOnlyAudit } from "./read-only-audit.ts";

/**
 * Query input exactly as the flags spelled it (`from`, `to`, `key`, `model`, `route`, `status`,
 * `order`, `limit`, `cursor`): the HTTP API parses the same strings with the same schema.
 */
export type AuditInput = Record<string, string>;

/** Where `mindgw audit` reads: the local database or a running gateway. */
export interface AuditSource {
  page(input: AuditInput): Promise<AuditPage>;
  /** The filtered log as chunks of text (NDJSON or CSV), read lazily. */
  export(input: AuditInput, format: ExportFormat): AsyncIterable<string | Uint8Array>;
  /** The tenants configured (`tenants:`), or undefined where the gateway would not say. */
  tenantNames(): Promise<readonly string[] | undefined>;
  close(): Promise<void>;
}

/** Export ignores paging: it streams every matching row, oldest first unless asked. */
function exportFilter(input: AuditInput) {
  const {
    limit: _limit,
    cursor: _cursor,
    ...rest
  } = parseInput(auditQuerySchema, {
    order: "asc",
    ...input,
  });
  return rest;
}

/**
 * The store of a config: its SQLite file read-only (read-only-audit.ts), or the PostgreSQL every
 * node shares. Neither is made here: a query of a path or database mindgw never wrote is refused.
 */
export async function localAudit(config: Config, migrate: boolean): Promise<AuditSource> {
  const tenantNames = async () => config.tenants.map((t) => t.name);
  if (config.storage.driver === "postgres") {
    await requirePostgresSchema(config.storage);
    const storage = await openCommandStorage(config.storage, migrate);
    return {
      page: (input) => queryAudit(storage.audit, parseInput(auditQuerySchema, input)),
      export: (input, format) => exportAudit(storage.audit, exportFilter(input), format),
      tenantNames,
      close: () => storage.close(),
    };
  }
  const { store, close } = openReadOnlyAudit(config.storage.path);
  return {
    page: (input) => queryAudit(store, parseInput(auditQuerySchema, input)),
    export: (input, format) => exportAudit(store, exportFilter(input), format),
    tenantNames,
    close: async () => close(),
  };
}

/**
 * An audit page as every gateway's answer holds it (answered-shape.ts): each field of a record that
 * `audit query` prints, which every release has answered (a later one added `app`, printed as a
 * dash where left out). One left out is no gateway's answer, said so, where the table ended on a
 * script error.
 */
const answeredPage = z.object({
  records: z.array(
    answeredShape(auditRecordSchema, [
      "requestId",
      "startedAt",
      "status",
      "keyId",
      "keyName",
      "model",
      "route",
      "latencyMs",
      "inputTokens",
      "outputTokens",
      "costUsd",
      "errorClass",
    ]),
  ),
});

/** Through `/admin/api/audit` and `/admin/api/audit/export` with an admin key. */
export function remoteAudit(gateway: string, adminKey: string): AuditSource {
  return {
    async page(input) {
      parseInput(auditQuerySchema, input); // the same errors as locally, before any request
      return adminFetch<AuditPage>(gateway, adminKey, {
        path: `/admin/api/audit?${new URLSearchParams(input)}`,
        holds: "records",
        shape: answeredPage,
      });
    },
    async *export(input, format) {
      exportFilter(input);
      const { limit: _limit, cursor: _cursor, ...filter } = input;
      const query = new URLSearchParams({ ...filter, format });
      yield* adminStream(gateway, adminKey, {
        path: `/admin/api/audit/export?${query}`,
        answers: mediaType(EXPORT_CONTENT_TYPE[format]),
      });
    },
    tenantNames: () => gatewayTenantNames(gateway, adminKey),
    close: async () => {},
  };
}
