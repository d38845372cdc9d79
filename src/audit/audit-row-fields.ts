import type { AuditAttempt } from "./audit-attempt.ts";
import type { AuditRecord, FrontDoor } from "./audit-record.ts";
import { soleAttempt, soleAttemptMs } from "./sole-attempt.ts";

/**
 * A record's fields in one fixed order, as an audit thread binds them: what `parseAuditBatch`
 * (audit-row-bytes.ts) reads back from the bytes the writer queued, each field at its index in
 * `FIELD`, and what `fillAuditRow` makes of a record handed over as an object. Optional fields
 * absent are null.
 */
export type AuditRowFields = [
  requestId: string,
  startedAt: number,
  keyId: string | null,
  keyName: string | null,
  tenant: string | null,
  role: string | null,
  frontDoor: FrontDoor,
  model: string | null,
  route: string | null,
  upstreamModel: string | null,
  status: number,
  errorClass: string | null,
  stream: boolean,
  latencyMs: number,
  ttfbMs: number | null,
  inputTokens: number,
  outputTokens: number,
  costUsd: number,
  clientIp: string | null,
  userAgent: string | null,
  errorMessage: string | null,
  dropped: string | null,
  /** The one ok attempt on the row's own route and model as its duration (sole-attempt.ts). */
  attempts: readonly AuditAttempt[] | number | null,
  node: string | null,
  servedNode: string | null,
  app: string | null,
  requestBody: BodyText | null,
  responseBody: BodyText | null,
];

/**
 * A body in a row: its text, or, as an audit thread reads a batch (`parseAuditBatch`), its UTF-8
 * as a view into the batch, bound as it is: no string of it made on the thread, where each one
 * (megabytes with an image) waited for a collection the thread seldom runs.
 */
export type BodyText = string | Uint8Array;

/** Where each field sits in `AuditRowFields`. */
export const FIELD = {
  requestId: 0,
  startedAt: 1,
  keyId: 2,
  keyName: 3,
  tenant: 4,
  role: 5,
  frontDoor: 6,
  model: 7,
  route: 8,
  upstreamModel: 9,
  status: 10,
  errorClass: 11,
  stream: 12,
  latencyMs: 13,
  ttfbMs: 14,
  inputTokens: 15,
  outputTokens: 16,
  costUsd: 17,
  clientIp: 18,
  userAgent: 19,
  errorMessage: 20,
  dropped: 21,
  attempts: 22,
  node: 23,
  servedNode: 24,
  app: 25,
  requestBody: 26,
  responseBody: 27,
} as const;

/** An `AuditRowFields` to fill (`fillAuditRow`), every field null until then. */
export const emptyAuditRow = (): AuditRowFields => new Array(28).fill(null) as AuditRowFields;

/**
 * Writes a record's fields into `row` and returns it: one array serves every row (its elements
 * are replaced each time), so binding a record makes no array of its own.
 */
export function fillAuditRow(r: AuditRecord, row: AuditRowFields): AuditRowFields {
  // Index literals, not `FIELD`'s: the tuple type checks each index against its field's type.
  row[0] = r.requestId;
  row[1] = r.startedAt;
  row[2] = r.keyId;
  row[3] = r.keyName;
  row[4] = r.tenant;
  row[5] = r.role;
  row[6] = r.frontDoor;
  row[7] = r.model;
  row[8] = r.route;
  row[9] = r.upstreamModel;
  row[10] = r.status;
  row[11] = r.errorClass;
  row[12] = r.stream;
  row[13] = r.latencyMs;
  row[14] = r.ttfbMs;
  row[15] = r.inputTokens;
  row[16] = r.outputTokens;
  row[17] = r.costUsd;
  row[18] = r.clientIp;
  row[19] = r.userAgent;
  // Optional fields: absent is bound as null.
  row[20] = r.errorMessage ?? null;
  row[21] = r.dropped ?? null;
  row[22] = soleAttemptMs(r.attempts, r.route, r.upstreamModel) ?? r.attempts ?? null;
  row[23] = r.node ?? null;
  row[24] = r.servedNode ?? null;
  row[25] = r.app ?? null;
  row[26] = r.requestBody ?? null;
  row[27] = r.responseBody ?? null;
  return row;
}

/** A row's fields as a record again (what `decodeAuditRows` makes of a batch). */
export function recordOf(row: AuditRowFields): AuditRecord {
  return {
    requestId: row[FIELD.requestId],
    startedAt: row[FIELD.startedAt],
    keyId: row[FIELD.keyId],
    keyName: row[FIELD.keyName],
    tenant: row[FIELD.tenant],
    role: row[FIELD.role],
    frontDoor: row[FIELD.frontDoor],
    model: row[FIELD.model],
    route: row[FIELD.route],
    upstreamModel: row[FIELD.upstreamModel],
    status: row[FIELD.status],
    errorClass: row[FIELD.errorClass],
    stream: row[FIELD.stream],
    latencyMs: row[FIELD.latencyMs],
    ttfbMs: row[FIELD.ttfbMs],
    inputTokens: row[FIELD.inputTokens],
    outputTokens: row[FIELD.outputTokens],
    costUsd: row[FIELD.costUsd],
    clientIp: row[FIELD.clientIp],
    userAgent: row[FIELD.userAgent],
    errorMessage: row[FIELD.errorMessage],
    dropped: row[FIELD.dropped],
    attempts: attemptsOf(row),
    node: row[FIELD.node],
    servedNode: row[FIELD.servedNode],
    app: row[FIELD.app],
    requestBody: textOf(row[FIELD.requestBody]),
    responseBody: textOf(row[FIELD.responseBody]),
  };
}

// ignoreBOM: a body's leading byte-order mark is its own, kept as SQLite's bind of the bytes keeps it.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const textOf = (body: BodyText | null): string | null =>
  body instanceof Uint8Array ? utf8.decode(body) : body;

/** A row's attempts as a list again (`fillAuditRow` writes the common one as its duration). */
function attemptsOf(row: AuditRowFields): readonly AuditAttempt[] | null {
  const attempts = row[FIELD.attempts];
  return typeof attempts === "number"
    ? soleAttempt(row[FIELD.route], row[FIELD.upstreamModel], attempts)
    : attempts;
}
