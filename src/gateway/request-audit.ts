import type { AuditObserver, AuditService } from "../audit/audit-service.ts";
import { withoutBodies } from "../audit/published-record.ts";

/**
 * What each request leaves in the audit: its row, or with `recordAudit: false` (an embedder that
 * keeps its own) no row, its start and end still published on the event bus, the end without bodies.
 */
export function requestAudit(audit: AuditService, recordAudit: boolean | undefined): AuditObserver {
  if (recordAudit !== false) return audit.observer;
  return {
    started: audit.observer.started,
    finished: (record) =>
      audit.bus.publish({ type: "request.finished", at: Date.now(), record: withoutBodies(record) }),
  };
}
