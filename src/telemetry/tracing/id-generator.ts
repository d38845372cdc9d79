import type { IdGenerator } from "@opentelemetry/sdk-trace";

/** Random bytes drawn at a time: 8 KB, 16,384 hex digits, 341 requests' worth of ids. */
const POOL_BYTES = 8192;
/** All zeros: an invalid id, drawn again. */
const ZEROS = "0".repeat(32);
let bytes = new DataView(new ArrayBuffer(0));
let pool = "";
let at = 0;
/** The id drawn last, and where its bytes start in the pool. */
let last = "";
let lastByte = 0;
/** Where the bytes of the span id `drawSpanId` drew last start in the pool. */
let drawnByte = 0;

/** The place of `digits` random hex digits in the pool (drawn again when short): its first byte. */
function draw(digits: number): number {
  if (at + digits > pool.length) {
    const random = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    bytes = new DataView(random.buffer);
    pool = Buffer.from(random).toString("hex");
    at = 0;
    // The id drawn last may have been read from the pool just replaced.
    last = "";
  }
  const byte = at / 2;
  at += digits;
  return byte;
}

/** `digits` random lowercase hex digits, never all zeros (an invalid id). */
function randomHex(digits: number): string {
  for (;;) {
    const byte = draw(digits);
    const id = pool.slice(byte * 2, byte * 2 + digits);
    if (!ZEROS.startsWith(id)) {
      last = id;
      lastByte = byte;
      return id;
    }
  }
}

/** A span id's place in the pool, never all zeros, with no string made. */
function drawSpanBytes(): void {
  for (;;) {
    const byte = draw(16);
    if (bytes.getUint32(byte) !== 0 || bytes.getUint32(byte + 4) !== 0) {
      drawnByte = byte;
      return;
    }
  }
}

/** Word `w` (32 bits, most significant first) of a hex id: its digits 8w … 8w + 7. */
export function hexWord(hex: string, w: number): number {
  return Number.parseInt(hex.substring(w * 8, w * 8 + 8), 16);
}

/** An IdGenerator that can give an id's 32-bit words without reading its hex digits. */
export interface WordIdGenerator extends IdGenerator {
  /** Word `w` of `id` when it is the id drawn last (the same string), else undefined. */
  wordOf(id: string, w: number): number | undefined;
  /**
   * Draws a span id whose hex digits nobody reads (a server span's: its attempts name it as
   * their parent by its words), with no string made: `drawnWord` gives its words.
   */
  drawSpanId(): void;
  /** Word `w` of the span id `drawSpanId` drew, until the next id is drawn. */
  drawnWord(w: 0 | 1): number;
}

/**
 * The SDK's RandomIdGenerator (Math.random) writes each id into a Buffer and hex-encodes it with
 * `Buffer.toString`, a noticeable part of starting a span under Bun; building it from a lookup
 * table leaves a string of 8–16 pieces that the SDK's validation and every later reader must
 * first join. Here ids are slices of one hex string of cryptographically random bytes encoded 8 KB at a
 * time: flat strings at a quarter of the cost. Same ids: 16 random bytes for a trace, 8 for a span.
 * A span written straight into the export batch takes an id's words from the pool's bytes
 * (`wordOf`): reading the slice's digits back made the event loop resolve each slice, ~0.5 µs
 * a traced request (docs/BENCHMARKS-HISTORY.md, "Sixth pass"); a server span's id is not even sliced
 * (`drawSpanId`: one string less a traced request, "Seventh pass").
 */
export const hexIdGenerator: WordIdGenerator = {
  generateTraceId: () => randomHex(32),
  generateSpanId: () => randomHex(16),
  wordOf: (id, w) => (id === last ? bytes.getUint32(lastByte + w * 4) : undefined),
  drawSpanId: drawSpanBytes,
  drawnWord: (w) => bytes.getUint32(drawnByte + w * 4),
};
