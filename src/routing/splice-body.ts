import type { JsonObject } from "../core/dialect.ts";

const encoder = new TextEncoder();
const MODEL_KEY = encoder.encode('"model"');
/** `\u00`: the start of an escape of an ASCII character, which no JSON encoder writes for a letter. */
const LOW_ESCAPE = encoder.encode("\\u00");
/** The letters of "model" as the two hex digits after `\u00`, lower case. */
const MODEL_LETTERS = new Set(["6d", "6f", "64", "65", "6c"]);
const FORCED_USAGE = encoder.encode('"stream_options":{"include_usage":true},');

const isSpace = (b: number | undefined) => b === 32 || b === 9 || b === 10 || b === 13;

function skipSpace(buf: Uint8Array, at: number): number {
  while (at < buf.length && isSpace(buf[at])) at++;
  return at;
}

function equalAt(buf: Uint8Array, at: number, word: Uint8Array): boolean {
  if (buf.length - at < word.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[at + k] !== word[k]) return false;
  return true;
}

/**
 * The body a same-dialect route sends: the client's bytes with only `model` replaced — and,
 * when the gateway must count a stream's usage, `stream_options.include_usage` added — spliced
 * into the received text instead of re-serialising the parsed body. Every other byte (unknown
 * fields, their order, their spelling) goes as sent. Undefined when a splice is not certain to
 * be right (the model key written twice, or with escapes, or nested deeper too; `stream_options` already present):
 * the caller then serialises the parsed body, which means the same.
 */
export function spliceBody(
  bytes: Uint8Array<ArrayBuffer>,
  body: JsonObject,
  model: string,
  forceUsage: boolean,
): Uint8Array<ArrayBuffer> | undefined {
  if (forceUsage && body.stream_options !== undefined) return undefined;
  const open = skipSpace(bytes, 0);
  if (bytes[open] !== 123) return undefined; // "{"
  const insert = forceUsage ? FORCED_USAGE : undefined;
  // Checked even when the model stays: a body with two `model` keys (one perhaps spelt with an
  // escape) was authorised and routed on the last (JSON.parse keeps it), and an upstream whose
  // parser keeps the first must never be sent the other. Unless the one plain key holds exactly
  // the value parsed, the body is re-serialised, with only the model the gateway read.
  const valueStart = soleModelValue(bytes);
  const current = encoder.encode(JSON.stringify(body.model));
  if (valueStart === -1 || !equalAt(bytes, valueStart, current) || escapesModelLetter(bytes))
    return undefined;
  if (body.model === model) return insert ? spliced(bytes, open + 1, open + 1, insert) : bytes;
  // The body has at least its `model` key, so a key inserted first is followed by a comma. Both
  // edits in one copy of the body: it may be megabytes (an image), and a copy a change made two.
  const renamed = encoder.encode(JSON.stringify(model));
  return spliced(bytes, valueStart, valueStart + current.length, renamed, open + 1, insert);
}

/**
 * Where the value of the body's `model` key starts; -1 unless there is exactly one such key (a
 * key of the same name nested deeper, or the key written twice, leaves the splice unsure). A
 * `"model"` followed by a colon is a key: a quote inside a string would be escaped.
 */
function soleModelValue(bytes: Uint8Array): number {
  let valueStart = -1;
  for (let at = indexOf.call(bytes, MODEL_KEY, 0); at !== -1; at = indexOf.call(bytes, MODEL_KEY, at + 1)) {
    const colon = skipSpace(bytes, at + MODEL_KEY.length);
    if (bytes[colon] !== 58) continue;
    if (valueStart !== -1) return -1;
    valueStart = skipSpace(bytes, colon + 1);
  }
  return valueStart;
}

/**
 * Whether a letter of "model" is written as an escape anywhere (`"mod\u0065l"` is a second
 * `model` key the scan for `"model"` cannot see). No encoder escapes an ASCII letter, so a body
 * that does is re-serialised rather than searched further.
 */
function escapesModelLetter(bytes: Uint8Array): boolean {
  for (let at = indexOf.call(bytes, LOW_ESCAPE, 0); at !== -1; at = indexOf.call(bytes, LOW_ESCAPE, at + 1)) {
    const hex = String.fromCharCode(bytes[at + 4] ?? 0, bytes[at + 5] ?? 0).toLowerCase();
    if (MODEL_LETTERS.has(hex)) return true;
  }
  return false;
}

// Ranges of the body are copied natively, never viewed: a body this small lives inside its
// JS heap cell, and a view of it (`subarray`, `.buffer`) makes JSC move it out to memory of its
// own first (~120 ns a splice more, and an allocation outside the heap: docs/BENCHMARKS-HISTORY.md,
// session 14's bytes a request).
const copy = Buffer.prototype.copy;
const indexOf = Buffer.prototype.indexOf;

/**
 * `bytes` with `bytes[from, to)` replaced by `piece`, as a new buffer; and `insert`, when given,
 * put in at `at` (at or before `from`) in the same copy.
 */
function spliced(
  bytes: Uint8Array,
  from: number,
  to: number,
  piece: Uint8Array,
  at = from,
  insert?: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const inserted = insert?.byteLength ?? 0;
  const out = Buffer.allocUnsafe(bytes.byteLength - (to - from) + piece.byteLength + inserted);
  if (insert) {
    copy.call(bytes, out, 0, 0, at);
    out.set(insert, at);
    copy.call(bytes, out, at + inserted, at, from);
  } else copy.call(bytes, out, 0, 0, from);
  out.set(piece, from + inserted);
  copy.call(bytes, out, from + inserted + piece.byteLength, to, bytes.byteLength);
  return out;
}
