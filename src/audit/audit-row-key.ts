/** Which request a row is: its request id and start (a client may send the same `x-request-id` twice). */
export interface AuditRowKey {
  readonly requestId: string;
  /** Epoch milliseconds, as the record has it. */
  readonly startedAt: number;
}

/** A row's key as one text, to look rows up by (a Set of them). */
export const rowKeyText = (row: AuditRowKey): string => `${row.startedAt} ${row.requestId}`;
