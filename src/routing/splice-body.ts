import type { JsonObject } from "../core/dialect.ts";

const encoder = new TextEncoder();
const MODEL_KEY = encoder.encode('"model"');
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
 * be right (the model key written twice, or with escapes; `stream_options` already present):
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
  if (body.model === model) return insert ? spliced(bytes, open + 1, open + 1, insert) : bytes;
  // A `"model"` followed by a colon is a key (a quote inside a string would be escaped); the
  // body's own key must be the only one, holding exactly the value that was parsed.
  let valueStart = -1;
  for (let at = indexOf.call(bytes, MODEL_KEY, 0); at !== -1; at = indexOf.call(bytes, MODEL_KEY, at + 1)) {
    const colon = skipSpace(bytes, at + MODEL_KEY.length);
    if (bytes[colon] !== 58) continue;
    if (valueStart !== -1) return undefined;
    valueStart = skipSpace(bytes, colon + 1);
  }
  const current = encoder.encode(JSON.stringify(body.model));
  if (valueStart === -1 || !equalAt(bytes, valueStart, current)) return undefined;
  const replaced = spliced(
    bytes,
    valueStart,
    valueStart + current.length,
    encoder.encode(JSON.stringify(model)),
  );
  // The body has at least its `model` key, so a key inserted first is followed by a comma.
  return insert ? spliced(replaced, open + 1, open + 1, insert) : replaced;
}

// Ranges of the body are copied natively, never viewed: a body this small lives inside its
// JS heap cell, and a view of it (`subarray`, `.buffer`) makes JSC move it out to memory of its
// own first (~120 ns a splice more, and an allocation outside the heap: docs/BENCHMARKS-HISTORY.md,
// session 14's bytes a request).
const copy = Buffer.prototype.copy;
const indexOf = Buffer.prototype.indexOf;

/** `bytes` with `bytes[from, to)` replaced by `piece`, as a new buffer. */
function spliced(bytes: Uint8Array, from: number, to: number, piece: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = Buffer.allocUnsafe(bytes.byteLength - (to - from) + piece.byteLength);
  copy.call(bytes, out, 0, 0, from);
  out.set(piece, from);
  copy.call(bytes, out, from + piece.byteLength, to, bytes.byteLength);
  return out;
}
