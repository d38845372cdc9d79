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
  if (body.model === model) return insert ? insertAt(bytes, open + 1, insert) : bytes;
  // A `"model"` followed by a colon is a key (a quote inside a string would be escaped); the
  // body's own key must be the only one, holding exactly the value that was parsed.
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let valueStart = -1;
  for (let at = view.indexOf(MODEL_KEY); at !== -1; at = view.indexOf(MODEL_KEY, at + 1)) {
    const colon = skipSpace(bytes, at + MODEL_KEY.length);
    if (bytes[colon] !== 58) continue;
    if (valueStart !== -1) return undefined;
    valueStart = skipSpace(bytes, colon + 1);
  }
  const current = encoder.encode(JSON.stringify(body.model));
  if (valueStart === -1 || !equalAt(bytes, valueStart, current)) return undefined;
  const replaced = encoder.encode(JSON.stringify(model));
  const parts = [bytes.subarray(0, valueStart), replaced, bytes.subarray(valueStart + current.length)];
  return insert ? insertAt(Buffer.concat(parts), open + 1, insert) : Buffer.concat(parts);
}

/** The body has at least its `model` key, so a key inserted first is followed by a comma. */
const insertAt = (bytes: Uint8Array, at: number, insert: Uint8Array): Uint8Array<ArrayBuffer> =>
  Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]);
