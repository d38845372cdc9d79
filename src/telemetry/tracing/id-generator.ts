import type { IdGenerator } from "@opentelemetry/sdk-trace";
import { hexDigitsWord } from "../../core/fresh-id-word.ts";

/** Random 32-bit words drawn at a time: 8 KB, 512 requests' worth of ids (two span ids each). */
const POOL_WORDS = 2048;
/** All zeros: an invalid id, drawn again. */
const ZEROS = "0".repeat(32);
/**
 * The random pool, as words: a request span's id is read from it with typed-array loads, where a
 * `DataView` over bytes took a native `getUint32` a word and a `byteLength` a draw (~21 → ~6 ns a
 * span id hot, two a traced request on the event loop). Filled again in place.
 */
const words = new Uint32Array(POOL_WORDS);
/** `words` as hex digits (its bytes in memory order), made only when an id is asked for as text. */
let hex = "";
let hexFresh = false;
let at = POOL_WORDS;
/** Where the words of the id drawn last by `drawTraceId` or `drawSpanId` start. */
let drawnAt = 0;

/** The index of `count` random words in the pool (filled again when short): their first. */
function draw(count: number): number {
  if (at + count > POOL_WORDS) {
    crypto.getRandomValues(words);
    hexFresh = false;
    at = 0;
  }
  const word = at;
  at += count;
  return word;
}

/** `digits` random lowercase hex digits (a multiple of 8), never all zeros (an invalid id). */
function randomHex(digits: number): string {
  for (;;) {
    const word = draw(digits / 8);
    if (!hexFresh) {
      hex = Buffer.from(words.buffer).toString("hex");
      hexFresh = true;
    }
    const id = hex.slice(word * 8, word * 8 + digits);
    if (!ZEROS.startsWith(id)) return id;
  }
}

/**
 * An id of `count` 32-bit words, never all zeros, with no string made: `drawnWord` gives its
 * words. They are the pool's words as the machine holds them (their bytes in its order, not the
 * hex digits' big-endian one): as random either way, and an id drawn as words is never also read
 * as the pool's hex.
 */
function drawWords(count: 2 | 4): void {
  for (;;) {
    const word = draw(count);
    let any = 0;
    for (let w = 0; w < count; w++) any |= words[word + w] as number;
    if (any !== 0) {
      drawnAt = word;
      return;
    }
  }
}

/**
 * Word `w` (32 bits, most significant first) of a hex id: its digits 8w … 8w + 7, read where they
 * are (no substring cut out, no `parseInt`).
 */
export const hexWord = (hex: string, w: number): number => hexDigitsWord(hex, w * 8);

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
 * once a pool, when first asked for), a request span's is its words read from the pool, with no
 * string at all (each slice was a string cell a request, and the slices the largest single item of
 * the traced request in the gateway's profile: docs/BENCHMARKS-HISTORY.md, session 13). Same ids:
 * 16 random bytes for a trace, 8 for a span.
 */
export const hexIdGenerator: WordIdGenerator = {
  generateTraceId: () => randomHex(32),
  generateSpanId: () => randomHex(16),
  drawTraceId: () => drawWords(4),
  drawSpanId: () => drawWords(2),
  drawnWord: (w) => words[drawnAt + w] as number,
};
