/**
 * The layout of audit rows as bytes (audit-row-bytes.ts writes them, audit-row-reader.ts reads
 * them).
 */

/** What a value's first byte says follows it. */
export const TAG = {
  NULL: 0,
  /** Its UTF-8 byte count (4 bytes, little-endian), then the bytes. */
  TEXT: 1,
  /** A float64, little-endian. */
  NUMBER: 2,
  TRUE: 3,
  FALSE: 4,
  /** The count (4 bytes, little-endian), then each attempt's six values in the schema's order. */
  ATTEMPTS: 5,
  /** Nothing: the string this field held in the last row of the run that had one. */
  SAME: 6,
} as const;

/**
 * The fields whose strings a row may give as `SAME`, each its slot in the memory of the last
 * string written: the request id and the bodies are never the row before's, and the error
 * message seldom; an attempt's strings are written whole.
 */
export const SLOT = {
  KEY_ID: 0,
  KEY_NAME: 1,
  TENANT: 2,
  ROLE: 3,
  FRONT_DOOR: 4,
  MODEL: 5,
  ROUTE: 6,
  UPSTREAM_MODEL: 7,
  ERROR_CLASS: 8,
  CLIENT_IP: 9,
  USER_AGENT: 10,
  DROPPED: 11,
  NODE: 12,
  SERVED_NODE: 13,
  APP: 14,
  /** No slot: the string is written whole. */
  WHOLE: -1,
} as const;

/** How many slots there are. */
export const REPEATABLE = 15;

/** A value's tag and a float64, or a string's tag and length. */
export const HEAD = 9;

/**
 * A row's last byte: whether its audit thread writes the request's access line, and in which
 * `log.format` (access-line.ts). Set by the event loop for a request it served, cleared
 * once the line is written (by the thread, or by the loop when no thread took it).
 */
export const ROW_LINE = { NONE: 0, TEXT: 1, JSON: 2 } as const;
export type RowLine = (typeof ROW_LINE)[keyof typeof ROW_LINE];
