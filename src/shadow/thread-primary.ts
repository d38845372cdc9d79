import type { AuditRecord } from "../audit/audit-record.ts";
import type { Pair } from "./shadow-pair.ts";
import { primaryFacts } from "./shadow-record.ts";
import type { ThreadPrimary } from "./shadow-thread-protocol.ts";

/**
 * The primary's side of an owned pair (`handed`: its id on the thread), as the thread takes it:
 * its bytes, not their parse, cross; an answer only for a success.
 */
export function threadPrimary(handed: number, record: AuditRecord, source: Pair["source"]): ThreadPrimary {
  const ok = record.status >= 200 && record.status < 300;
  const answer =
    !ok || !source
      ? undefined
      : source.kind === "bytes"
        ? { kind: "bytes" as const, body: source.body }
        : source;
  return { id: handed, facts: primaryFacts(record), ...(answer ? { answer } : {}) };
}
