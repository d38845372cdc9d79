import type { JsonObject } from "../core/dialect.ts";
import type { ReceivedRequest } from "./dispatch.ts";

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
 * Where bytes spliced for a route hold the model's value (`ReceivedRequest.spliced`), for the
 * next route's splice to start from them.
 */
export interface SpliceSite {
  /** The brace that opens the body: the forced usage option goes right after it. */
  readonly open: number;
  readonly valueStart: number;
  /** The value's bytes there: the model's JSON text. */
  readonly valueLength: number;
  readonly model: string;
  /** The forced usage option is in. */
  readonly forced: boolean;
}

/** A splice made, and where its model is. */
interface Spliced {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly site: SpliceSite;
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
  const out = fromReceived(bytes, body, model, forceUsage);
  return out === undefined || out instanceof Uint8Array ? out : out.bytes;
}

/**
 * `spliceBody` of the bytes `received` holds, a splice then held in their place (`spliced` says
 * where its model is): the received bytes are let go once a route renames the model, and the next
 * route (a retry, a failover, the shadow's) is spliced from the bytes the last one was sent,
 * which differ from them in the model's value and the forced usage option alone. A request
 * waiting on an upstream that renames its model held its body three times (parsed, received,
 * renamed): twice now.
 */
export function splicedFor(
  received: ReceivedRequest,
  model: string,
  forceUsage: boolean,
): Uint8Array<ArrayBuffer> | undefined {
  const { bytes, body, spliced } = received;
  // Let go (no route left was to send them): serialised, though no route should ask.
  if (bytes === undefined || (forceUsage && body.stream_options !== undefined)) return undefined;
  const out =
    spliced === undefined
      ? fromReceived(bytes, body, model, forceUsage)
      : spliced.model === model && spliced.forced === forceUsage
        ? bytes
        : splicedAt(bytes, spliced, model, forceUsage);
  if (out === undefined || out instanceof Uint8Array) return out;
  received.bytes = out.bytes;
  received.spliced = out.site;
  return out.bytes;
}

/**
 * The bytes the request came as, where a splice is held in their place (`splicedFor`): the model's
 * value written back as it was received (its JSON text was exactly the parsed model's, or nothing
 * was spliced) and the forced usage option out. What the audit row is made from (`audit.bodies`),
 * so that a request whose route renames the model holds its body's bytes once, not the received
 * ones beside the splice for the row. Undefined when they were let go.
 */
export function asReceived(
  received: Pick<ReceivedRequest, "bytes" | "body" | "spliced">,
): Uint8Array<ArrayBuffer> | undefined {
  const { bytes, spliced } = received;
  if (bytes === undefined || spliced === undefined) return bytes;
  return splicedAt(bytes, spliced, String(received.body.model), false).bytes;
}

/** The received bytes as a route sends them: themselves, spliced, or undefined when unsure. */
function fromReceived(
  bytes: Uint8Array<ArrayBuffer>,
  body: JsonObject,
  model: string,
  forceUsage: boolean,
): Uint8Array<ArrayBuffer> | Spliced | undefined {
  if (forceUsage && body.stream_options !== undefined) return undefined;
  const open = skipSpace(bytes, 0);
  if (bytes[open] !== 123) return undefined; // "{"
  // Checked even when the model stays: a body with two `model` keys (one perhaps spelt with an
  // escape) was authorised and routed on the last (JSON.parse keeps it), and an upstream whose
  // parser keeps the first must never be sent the other. Unless the one plain key holds exactly
  // the value parsed, the body is re-serialised, with only the model the gateway read.
  const valueStart = soleModelValue(bytes);
  const current = encoder.encode(JSON.stringify(body.model));
  if (valueStart === -1 || !equalAt(bytes, valueStart, current) || escapesModelLetter(bytes))
    return undefined;
  if (body.model === model && !forceUsage) return bytes;
  const site = { open, valueStart, valueLength: current.length, model: String(body.model), forced: false };
  return splicedAt(bytes, site, model, forceUsage);
}

/**
 * `bytes` (their model's value at `site`) with `model` written there and the forced usage option
 * in or out as asked, both edits in one copy of the body: it may be megabytes (an image), and a
 * copy a change made two.
 */
function splicedAt(bytes: Uint8Array, site: SpliceSite, model: string, forceUsage: boolean): Spliced {
  const after = site.open + 1;
  const renamed = encoder.encode(JSON.stringify(model));
  const dropped = site.forced ? FORCED_USAGE.length : 0;
  const inserted = forceUsage ? FORCED_USAGE.length : 0;
  const out = Buffer.allocUnsafe(bytes.byteLength - dropped + inserted - site.valueLength + renamed.length);
  copy.call(bytes, out, 0, 0, after);
  // The body has at least its `model` key, so a key inserted first is followed by a comma.
  if (forceUsage) out.set(FORCED_USAGE, after);
  copy.call(bytes, out, after + inserted, after + dropped, site.valueStart);
  const valueStart = site.valueStart - dropped + inserted;
  out.set(renamed, valueStart);
  copy.call(bytes, out, valueStart + renamed.length, site.valueStart + site.valueLength, bytes.byteLength);
  return {
    bytes: out,
    site: { open: site.open, valueStart, valueLength: renamed.length, model, forced: forceUsage },
  };
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
