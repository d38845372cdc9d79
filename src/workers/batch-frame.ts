import { ANSWER_KIND, type AnswerHead, writeAnswerHead } from "./answer-frame.ts";
import { readU32, writeU32 } from "./big-endian.ts";
import { CHUNK_HEADER_BYTES, CHUNK_KIND, writeChunkHeader } from "./chunk-frame.ts";
import { type QueuedRequest, REQUEST_KIND, writeRequestHead } from "./request-frame.ts";

/**
 * Several frames in one binary WebSocket message (docs/worker-protocol.md, "Batch message"):
 * a 1-byte kind, then each frame behind its length as a big-endian u32. A frame is a binary
 * chunk, request or answer frame or a control frame's JSON text as UTF-8 (it starts with `{`). Sent only to a peer
 * that said it reads them (`batch` in `register` / `registered`), so older peers never see one.
 * What it saves is per-message work on both sides (a `send` and its write, a receive callback),
 * which costs more than the frames themselves for the small frames of one request.
 */
export const BATCH_KIND = 2;
const LENGTH_BYTES = 4;
const OPEN_BRACE = 0x7b;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where a message is written: a new array by default, or a writer's reused one (frame-writer.ts). */
export type FrameBuffer = (size: number) => Uint8Array<ArrayBuffer>;
const newFrameBuffer: FrameBuffer = (size) => new Uint8Array(size);

/** A body chunk not yet framed: framed once, where it is written (alone or inside a batch). */
export interface QueuedChunk {
  id: number;
  bytes: Uint8Array;
}

/**
 * A whole answer not yet framed (answer-frame.ts: head, body and end in one frame): its head is
 * written where the frame is, beside the body, so that a call's answer makes no frame of its own
 * and no head object first. `headBytes`: its `answerHeadSize`.
 */
export interface QueuedAnswer extends AnswerHead {
  id: number;
  headBytes: number;
  bytes: Uint8Array;
}

/** A frame whose body bytes are copied in where it is written, its head written beside them. */
type QueuedBody = QueuedChunk | QueuedRequest | QueuedAnswer;

/**
 * A frame as the writer queued it: a control frame as JSON text, a body chunk, a request or whole
 * answer to frame where it is written, or a binary frame already whole (a request or answer frame).
 */
export type QueuedFrame = string | QueuedBody | Uint8Array<ArrayBuffer>;

/** A queued body's frame size. */
const bodyFrameSize = (frame: QueuedBody) =>
  ("headBytes" in frame ? frame.headBytes : CHUNK_HEADER_BYTES) + frame.bytes.byteLength;

/** The bytes one queued frame adds to a batch (its length prefix included); text at most. */
export const batchedSize = (frame: QueuedFrame) =>
  LENGTH_BYTES +
  (typeof frame === "string"
    ? frame.length * 3
    : frame instanceof Uint8Array
      ? frame.byteLength
      : bodyFrameSize(frame));

/** Writes a queued body's frame at `at` of `out`; returns where the next one starts. */
function writeBodyFrame(out: Uint8Array, at: number, frame: QueuedBody): number {
  let bodyAt = at + CHUNK_HEADER_BYTES;
  if ("requestId" in frame) bodyAt = writeRequestHead(out, at, frame);
  else if ("headBytes" in frame) bodyAt = writeAnswerHead(out, at, frame.id, frame, true);
  else writeChunkHeader(out, at, frame.id);
  out.set(frame.bytes, bodyAt);
  return bodyAt + frame.bytes.byteLength;
}

/** One queued binary frame as the message it is when sent alone. */
export function encodeAlone(
  frame: QueuedBody | Uint8Array<ArrayBuffer>,
  allocate: FrameBuffer = newFrameBuffer,
): Uint8Array<ArrayBuffer> {
  if (frame instanceof Uint8Array) return frame;
  const out = allocate(bodyFrameSize(frame));
  writeBodyFrame(out, 0, frame);
  return out;
}

/**
 * The batch message of `frames`, written into what `allocate` gives (every byte of it is written).
 * Indexed loops, and an array of texts only where a control frame is in the batch (rare): a batch
 * is written every turn, and `map` and `entries` made an array and two iterators each time.
 */
export function encodeBatch(
  frames: readonly QueuedFrame[],
  allocate: FrameBuffer = newFrameBuffer,
): Uint8Array<ArrayBuffer> {
  let texts: (Uint8Array | undefined)[] | undefined;
  let size = 1;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i] as QueuedFrame;
    if (typeof frame === "string") {
      texts ??= new Array<Uint8Array | undefined>(frames.length);
      const text = encoder.encode(frame);
      texts[i] = text;
      size += LENGTH_BYTES + text.byteLength;
    } else size += LENGTH_BYTES + (frame instanceof Uint8Array ? frame.byteLength : bodyFrameSize(frame));
  }
  const out = allocate(size);
  out[0] = BATCH_KIND;
  let at = 1;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i] as QueuedFrame;
    // JSON text as UTF-8, or a binary frame that is already whole: copied as it is.
    const whole =
      typeof frame === "string"
        ? (texts?.[i] as Uint8Array)
        : frame instanceof Uint8Array
          ? frame
          : undefined;
    if (whole) {
      writeU32(out, at, whole.byteLength);
      out.set(whole, at + LENGTH_BYTES);
      at += LENGTH_BYTES + whole.byteLength;
      continue;
    }
    // A chunk or whole answer framed in place: the body bytes are copied once, into the batch.
    const body = frame as QueuedBody;
    writeU32(out, at, bodyFrameSize(body));
    at = writeBodyFrame(out, at + LENGTH_BYTES, body);
  }
  return out;
}

/**
 * What a batch holds, in order: a control frame's JSON text, or a binary frame's bytes (a view),
 * its kind its first byte (a chunk, request or answer frame); each reader refuses the kinds its
 * peer may not send. Not wrapped in an object a frame.
 */
export type BatchedFrame = string | Uint8Array;

/** The kind a control frame's JSON text starts with (`{`), as `BatchReader.next` gives it. */
export const TEXT_KIND = OPEN_BRACE;

/**
 * Reads a batch message's frames where they are: each frame's bounds in the message (`start`,
 * `end`), for the frame's own decoder to read from there (answer-frame.ts, request-frame.ts,
 * chunk-frame.ts), so that a frame costs no view of its own nor a place in an array (a batch is
 * read every turn, a frame in it for every call). A reader keeps one and points it at each
 * message (`over`), which checks the whole message first: a malformed batch is refused before
 * any frame of it is read, as a decoded one was.
 */
export class BatchReader {
  private message: Uint8Array = new Uint8Array(0);
  /** The current frame's first byte in the message. */
  start = 0;
  /** Where the current frame ends (exclusive), and the next one's length prefix starts. */
  end = 1;

  /** Reads `message` next, or says what is wrong with it (nothing of it is read then). */
  over(message: Uint8Array): string | undefined {
    let at = 1;
    while (at < message.byteLength) {
      if (at + LENGTH_BYTES > message.byteLength) return "batch frame length cut off";
      const length = readU32(message, at);
      const start = at + LENGTH_BYTES;
      at = start + length;
      if (length === 0 || at > message.byteLength) return "batch frame overruns the message";
      const first = message[start];
      if (first !== OPEN_BRACE && first !== CHUNK_KIND && first !== REQUEST_KIND && first !== ANSWER_KIND)
        return `batch frame of kind ${first}`;
    }
    this.message = message;
    this.end = 1;
    return undefined;
  }

  /** Moves to the next frame: its kind (its first byte: `TEXT_KIND` for a control frame), or -1 past the last. */
  next(): number {
    const { message } = this;
    if (this.end >= message.byteLength) return -1;
    this.start = this.end + LENGTH_BYTES;
    this.end = this.start + readU32(message, this.end);
    return message[this.start] as number;
  }

  /** The current frame's JSON text (a control frame's). */
  text(): string {
    return decoder.decode(this.message.subarray(this.start, this.end));
  }
}

/**
 * The frames of a batch message, or a problem: a frame that overruns the message, an empty one,
 * or one of no kind a batch holds (a batch inside a batch included).
 */
export function decodeBatch(message: Uint8Array): BatchedFrame[] | string {
  const reader = new BatchReader();
  const problem = reader.over(message);
  if (problem !== undefined) return problem;
  const frames: BatchedFrame[] = [];
  for (let kind = reader.next(); kind >= 0; kind = reader.next())
    frames.push(kind === TEXT_KIND ? reader.text() : message.subarray(reader.start, reader.end));
  return frames;
}
