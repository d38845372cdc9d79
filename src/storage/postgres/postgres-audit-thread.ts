/**
 * PostgreSQL's audit thread: a Worker with a connection of its own that writes the audit
 * batches (COPY text built and sent here), so that a flush costs the gateway's event loop only
 * its rows' bytes (audit/audit-row-bytes.ts). Same protocol and request loop as SQLite's
 * (audit-thread.ts).
 */

import type { SQL } from "bun";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { recordOf } from "../../audit/audit-row-fields.ts";
import type { RowLine } from "../../audit/audit-row-layout.ts";
import { parseAuditBatch } from "../../audit/audit-row-reader.ts";
import type { AuditThreadRequest } from "../audit-thread-protocol.ts";
import { writeClaimedLines } from "../line-claims.ts";
import { serveAuditThread } from "../serve-audit-thread.ts";
import type { AuditBatchResult } from "../storage.ts";
import { postgresAuditInsert } from "./postgres-audit-insert.ts";
import { connectPostgres } from "./postgres-client.ts";

let opened: {
  sql: SQL;
  insert: (records: readonly AuditRecord[]) => Promise<AuditBatchResult>;
  lines: Int32Array;
} | null = null;

async function run(request: AuditThreadRequest): Promise<unknown> {
  switch (request.op) {
    case "open-postgres": {
      // One connection: requests run one at a time here. The client reconnects on the next
      // batch after the server or the network dropped it, as the node's pool does.
      const sql = connectPostgres({ ...request.options, pool: 1 });
      opened = { sql, insert: postgresAuditInsert(sql), lines: request.lines };
      return undefined;
    }
    case "insert": {
      if (opened === null) throw new Error("the audit thread was not opened");
      const lines: RowLine[] = [];
      const rows = parseAuditBatch(request.records, lines);
      writeClaimedLines(rows, lines, opened.lines, request.claim);
      return opened.insert(rows.map(recordOf));
    }
    case "close":
      await opened?.sql.close({ timeout: 5 });
      opened = null;
      return undefined;
    default:
      throw new Error(`the PostgreSQL audit thread does not do ${request.op}`);
  }
}

serveAuditThread(run);
