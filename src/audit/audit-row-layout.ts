/**
 * The layout of audit rows as bytes (audit-row-bytes.ts writes them, audit-row-reader.ts reads
 * them): each value's first byte says what follows it.
 */

export const NULL = 0;
/** Its UTF-8 byte count (4 bytes, little-endian), then the bytes. */
export const TEXT = 1;
/** A float64, little-endian. */
export const NUMBER = 2;
export const TRUE = 3;
export const FALSE = 4;
/** The count (4 bytes, little-endian), then each attempt's six values in the schema's order. */
export const ATTEMPTS = 5;
/** The string this field held in the last row of the run that had one. */
export const SAME = 6;

/**
 * The fields whose strings a row may give as `SAME`, each its slot in the memory of the last
 * string written: the request id and the bodies are never the row before's, and the error
 * message seldom; an attempt's strings are written whole.
 */
export const KEY_ID = 0;
export const KEY_NAME = 1;
export const TENANT = 2;
export const ROLE = 3;
export const FRONT_DOOR = 4;
export const MODEL = 5;
export const ROUTE = 6;
export const UPSTREAM_MODEL = 7;
export const ERROR_CLASS = 8;
export const CLIENT_IP = 9;
export const USER_AGENT = 10;
export const DROPPED = 11;
export const NODE = 12;
export const SERVED_NODE = 13;
export const REPEATABLE = 14;
/** No slot: the string is written whole. */
export const WHOLE = -1;

/** A value's tag and a float64, or a string's tag and length. */
export const HEAD = 9;
