import { CHUNK_HEADER_BYTES, CHUNK_KIND, encodeChunk } from "./chunk-frame.ts";

/**
 * Several frames in one binary WebSocket message (docs/worker-protocol.md, "Batch message"):
 * a 1-byte kind, then each frame behind its length as a big-endian u32. A frame is a binary
 * chunk frame or a control frame's JSON text as UTF-8 (it starts with `{`). Sent only to a peer
 * that said it reads them (`batch` in `register` / `registered`), so older peers never see one.
 * What it saves is per-message work on both sides (a `send` and its write, a receive callback),
 * which costs more than the frames themselves for the small frames of one request.
 */
export const BATCH_KIND = 2;
const LENGTH_BYTES = 4;
const OPEN_BRACE = 0x7b;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A body chunk not yet framed: framed once, where it is written (alone or inside a batch). */
export interface QueuedChunk {
  id: number;
  bytes: Uint8Array;
}

/** A frame as the writer queued it: a control frame as JSON text, or a body chunk. */
export type QueuedFrame = string | QueuedChunk;

/** The bytes one queued frame adds to a batch (its length prefix included); text at most. */
export const batchedSize = (frame: QueuedFrame) =>
  LENGTH_BYTES + (typeof frame === "string" ? frame.length * 3 : CHUNK_HEADER_BYTES + frame.bytes.byteLength);

/** One queued frame as the message it is when sent alone. */
export const encodeAlone = (frame: QueuedChunk): Uint8Array<ArrayBuffer> =>
  encodeChunk(frame.id, frame.bytes);

export function encodeBatch(frames: readonly QueuedFrame[]): Uint8Array<ArrayBuffer> {
  const texts = frames.map((f) => (typeof f === "string" ? encoder.encode(f) : undefined));
  let size = 1;
  for (const [i, frame] of frames.entries())
    size +=
      LENGTH_BYTES + (texts[i]?.byteLength ?? CHUNK_HEADER_BYTES + (frame as QueuedChunk).bytes.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = BATCH_KIND;
  let at = 1;
  for (const [i, frame] of frames.entries()) {
    const text = texts[i];
    if (text) {
      view.setUint32(at, text.byteLength);
      out.set(text, at + LENGTH_BYTES);
      at += LENGTH_BYTES + text.byteLength;
      continue;
    }
    // A chunk frame written in place: the body bytes are copied once, into the batch.
    const { id, bytes } = frame as QueuedChunk;
    view.setUint32(at, CHUNK_HEADER_BYTES + bytes.byteLength);
    out[at + LENGTH_BYTES] = CHUNK_KIND;
    view.setUint32(at + LENGTH_BYTES + 1, id);
    out.set(bytes, at + LENGTH_BYTES + CHUNK_HEADER_BYTES);
    at += LENGTH_BYTES + CHUNK_HEADER_BYTES + bytes.byteLength;
  }
  return out;
}

/** What a batch holds, in order: JSON text of a control frame, or a chunk frame's bytes (a view). */
export type BatchedFrame = { text: string } | { chunk: Uint8Array };

/**
 * The frames of a batch message, or a problem: a frame that overruns the message, an empty one,
 * or one that is neither a chunk frame nor JSON text (a batch inside a batch included).
 */
export function decodeBatch(message: Uint8Array): BatchedFrame[] | string {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const frames: BatchedFrame[] = [];
  let at = 1;
  while (at < message.byteLength) {
    if (at + LENGTH_BYTES > message.byteLength) return "batch frame length cut off";
    const length = view.getUint32(at);
    const start = at + LENGTH_BYTES;
    at = start + length;
    if (length === 0 || at > message.byteLength) return "batch frame overruns the message";
    const first = message[start];
    const frame = message.subarray(start, at);
    if (first === OPEN_BRACE) frames.push({ text: decoder.decode(frame) });
    else if (first === CHUNK_KIND) frames.push({ chunk: frame });
    else return `batch frame of kind ${first}`;
  }
  return frames;
}
