import { ACCESS_MESSAGE, accessEndMs, accessFields } from "../audit/access-line.ts";
import type { AccessLineRelay } from "../audit/access-line-relay.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { emptyAuditRow, fillAuditRow } from "../audit/audit-row-fields.ts";
import { errorText } from "../audit/redact-body.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { isoTime } from "../log/iso-time.ts";
import { type Logger, loggerLines } from "../log/logger.ts";

/** Why a request was refused or failed, on one line, bounded and with anything credential-shaped removed. */
export const reasonOf = (error: GatewayError | undefined): string | undefined =>
  error ? errorText(error.message, true) : undefined;

/**
 * The access line's reason: what the client was told, as its audit row keeps it (an upstream's own
 * message when its error body was relayed), on one line; the error's own words for a record
 * without it.
 */
const toldOf = (record: AuditRecord, error: GatewayError | undefined): string | undefined =>
  record.errorMessage ? record.errorMessage.replace(/\s+/g, " ") : reasonOf(error);

/**
 * What the client was not told, bounded and redacted as the reason is: which check refused a
 * credential, or the gateway's own account of a failure whose upstream's words the client got
 * instead (`upstream NAME answered 500`).
 */
function detailOf(record: AuditRecord, error: GatewayError | undefined): string | undefined {
  if (error === undefined) return undefined;
  if (error.detail !== undefined) return errorText(error.detail, true);
  const told = record.errorMessage;
  return told && told !== errorText(error.message) ? reasonOf(error) : undefined;
}

/**
 * One access line per request, written when its record is final: at info when it was served,
 * at warn when refused (4xx) and at error when it failed (5xx), with the reason. It names the
 * key by its name only; the record never holds a secret, and the reason passes `errorText`.
 * A logger of `createLogger`'s stamps the line with its request's end (access-line.ts). A served
 * request's line whose audit row carries it (`relay`: access-line-relay.ts) is its audit thread's
 * to write, not the event loop's.
 */
export function accessLog(
  logger: Logger,
  relay?: AccessLineRelay,
): (record: AuditRecord, error?: GatewayError) => void {
  const lines = loggerLines(logger);
  const iso = isoTime();
  // The record's fields as its row, the one form the line is built from (access-line.ts).
  const row = emptyAuditRow();
  return (record, error) => {
    if (relay?.took(record)) return;
    const level = record.status >= 500 ? "error" : record.status >= 400 ? "warn" : "info";
    if (lines && !lines.enabled(level)) return;
    fillAuditRow(record, row);
    const fields = accessFields(row, toldOf(record, error), detailOf(record, error));
    if (lines) lines.at(iso(accessEndMs(row)), level, ACCESS_MESSAGE, fields);
    else logger[level](ACCESS_MESSAGE, fields);
  };
}
