import { readU32, writeU32 } from "./big-endian.ts";

/**
 * A body chunk on the tunnel (protocol v2): one binary WebSocket message, a 1-byte kind, the
 * request id as a big-endian u32, then the upstream's bytes exactly as read. No JSON, no
 * base64, no UTF-8 decoding: the worker forwards what the model server wrote, and the gateway
 * hands the same bytes to the reply reader.
 */
export const CHUNK_KIND = 1;
export const CHUNK_HEADER_BYTES = 5;
export const MAX_REQUEST_ID = 0xffff_ffff;

/** A chunk frame's kind and id at `at` of `out`; its bytes go from `at + CHUNK_HEADER_BYTES`. */
export function writeChunkHeader(out: Uint8Array, at: number, id: number): void {
  out[at] = CHUNK_KIND;
  writeU32(out, at + 1, id);
}

export function encodeChunk(id: number, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(CHUNK_HEADER_BYTES + bytes.byteLength);
  writeChunkHeader(frame, 0, id);
  frame.set(bytes, CHUNK_HEADER_BYTES);
  return frame;
}

/**
 * A chunk frame's request id, or -1 if the frame is malformed (cut short, of another kind). Read
 * with its payload (`chunkBytes`), not into an object a frame: a paced stream's chunk frames reach
 * the gateway one a token.
 */
export function chunkId(frame: Uint8Array, start = 0, end = frame.byteLength): number {
  return end - start < CHUNK_HEADER_BYTES || frame[start] !== CHUNK_KIND ? -1 : readU32(frame, start + 1);
}

/**
 * A chunk frame's payload (after `chunkId` accepted it): a view, not a copy. `start` and `end`:
 * the frame's bounds in a batch message it is read in (batch-frame.ts's `BatchReader`).
 */
export const chunkBytes = (frame: Uint8Array, start = 0, end = frame.byteLength): Uint8Array =>
  frame.subarray(start + CHUNK_HEADER_BYTES, end);
