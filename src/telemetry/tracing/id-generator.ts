import type { IdGenerator } from "@opentelemetry/sdk-trace";

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** `words` random 32-bit words as lowercase hex, never all zeros (an invalid id). */
function randomHex(words: number): string {
  let id = "";
  let any = 0;
  for (let i = 0; i < words; i++) {
    const word = (Math.random() * 2 ** 32) >>> 0;
    any |= word;
    id += `${HEX[word >>> 24]}${HEX[(word >>> 16) & 255]}${HEX[(word >>> 8) & 255]}${HEX[word & 255]}`;
  }
  return any === 0 ? `${id.slice(0, -1)}1` : id;
}

/**
 * The SDK's RandomIdGenerator (Math.random, as here) writes into a Buffer and hex-encodes it
 * with `Buffer.toString`, which under Bun is a noticeable part of starting a span; a lookup
 * table does the same for a fraction of it. Same ids: 16 random bytes for a trace, 8 for a span.
 */
export const hexIdGenerator: IdGenerator = {
  generateTraceId: () => randomHex(4),
  generateSpanId: () => randomHex(2),
};
