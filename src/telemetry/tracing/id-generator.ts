import type { IdGenerator } from "@opentelemetry/sdk-trace";

/** Random bytes drawn at a time: 8 KB, 341 requests' worth of ids. */
const POOL_BYTES = 8192;
/** All zeros: an invalid id, drawn again. */
const ZEROS = "0".repeat(32);
let bytes = new DataView(new ArrayBuffer(0));
/** `bytes` as hex digits, made only when an id is asked for as text (`hexOf` says for which bytes). */
let hex = "";
let hexOf: DataView | undefined;
let at = 0;
/** Where the bytes of the id drawn last by `drawTraceId` or `drawSpanId` start. */
let drawnByte = 0;

/** The place of `count` random bytes in the pool (drawn again when short): their first byte. */
function draw(count: number): number {
  if (at + count > bytes.byteLength) {
    bytes = new DataView(crypto.getRandomValues(new Uint8Array(POOL_BYTES)).buffer);
    at = 0;
  }
  const byte = at;
  at += count;
  return byte;
}

/** `digits` random lowercase hex digits, never all zeros (an invalid id). */
function randomHex(digits: number): string {
  for (;;) {
    const byte = draw(digits / 2);
    if (hexOf !== bytes) {
      hex = Buffer.from(bytes.buffer).toString("hex");
      hexOf = bytes;
    }
    const id = hex.slice(byte * 2, byte * 2 + digits);
    if (!ZEROS.startsWith(id)) return id;
  }
}

/** An id of `words` 32-bit words, never all zeros, with no string made: `drawnWord` gives its words. */
function drawWords(words: 2 | 4): void {
  for (;;) {
    const byte = draw(words * 4);
    let any = 0;
    for (let w = 0; w < words; w++) any |= bytes.getUint32(byte + w * 4);
    if (any !== 0) {
      drawnByte = byte;
      return;
    }
  }
}

/** Word `w` (32 bits, most significant first) of a hex id: its digits 8w … 8w + 7. */
export function hexWord(hex: string, w: number): number {
  return Number.parseInt(hex.substring(w * 8, w * 8 + 8), 16);
}

/** A 32-bit word as the 8 hex digits of an id. */
export const hexOfWord = (word: number) => word.toString(16).padStart(8, "0");

/**
 * An IdGenerator that can draw an id as its 32-bit words alone: the gateway's request spans
 * write ids into the export batch as words and their `traceparent` from the words
 * (core/traceparent.ts), so their ids never need hex digits of their own.
 */
export interface WordIdGenerator extends IdGenerator {
  /** Draws a trace id (four words), with no string made: `drawnWord` gives its words. */
  drawTraceId(): void;
  /** Draws a span id (two words), with no string made: `drawnWord` gives its words. */
  drawSpanId(): void;
  /** Word `w` of the id drawn last by `drawTraceId` or `drawSpanId`, until the next id is drawn. */
  drawnWord(w: number): number;
}

/**
 * The SDK's RandomIdGenerator (Math.random) writes each id into a Buffer and hex-encodes it with
 * `Buffer.toString`, a noticeable part of starting a span under Bun. Here ids are cryptographically
 * random bytes drawn 8 KB at a time: an SDK span's id is a slice of those bytes' hex digits (made
 * once a pool, when first asked for), a request span's is its words read from the bytes, with no
 * string at all (each slice was a string cell a request, and the slices the largest single item of
 * the traced request in the gateway's profile: docs/BENCHMARKS-HISTORY.md, session 13). Same ids:
 * 16 random bytes for a trace, 8 for a span.
 */
export const hexIdGenerator: WordIdGenerator = {
  generateTraceId: () => randomHex(32),
  generateSpanId: () => randomHex(16),
  drawTraceId: () => drawWords(4),
  drawSpanId: () => drawWords(2),
  drawnWord: (w) => bytes.getUint32(drawnByte + w * 4),
};
