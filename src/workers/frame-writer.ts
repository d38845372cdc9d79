import { batchedSize, encodeAlone, encodeBatch, type QueuedAnswer, type QueuedFrame } from "./batch-frame.ts";
import type { QueuedRequest } from "./request-frame.ts";

/**
 * The largest message buffer a writer keeps to write its next messages into; a larger message
 * gets an array of its own. Bounds what an idle connection holds.
 */
const REUSED_BYTES = 256 * 1024;

/**
 * About the bytes a queued frame takes on the wire (a text's length, a body's bytes): what a
 * connection may still queue is judged by it, where a frame's few header bytes do not count.
 */
export const queuedBytes = (frame: QueuedFrame): number =>
  typeof frame === "string"
    ? frame.length
    : frame instanceof Uint8Array
      ? frame.byteLength
      : frame.bytes.byteLength;

/** The socket a writer writes to. */
export interface FrameSink {
  text(frame: string): void;
  /**
   * Must be done with `frame` when it returns (Bun's WebSocket `send` and `sendBinary` copy it
   * into the socket or its buffer): the writer writes its next message into the same memory.
   */
  binary(frame: Uint8Array<ArrayBuffer>): void;
  /** Runs `write` with its sends gathered into one socket write (Bun's `ServerWebSocket.cork`). */
  cork?(write: () => void): void;
}

/**
 * One side's outgoing frames on a tunnel, written once per event-loop turn instead of one
 * socket write per frame: a request's small frames (a reply's head, its body and `end`; the
 * requests of many clients arriving together) leave in one write. To a peer that reads batch
 * messages (batch-frame.ts) they leave in one message; to an older peer, as the same frames
 * one by one, corked into one write where the socket can. Order is kept: every frame of a
 * connection goes through its writer.
 */
export class FrameWriter {
  private queue: QueuedFrame[] = [];
  private scheduled = false;
  private batches = false;
  /**
   * Where messages the writer frames (batches, lone chunks) are written, reused from one to the
   * next: a fresh array a message, tens of KB on a busy stream path, was the worker's costliest
   * line (zeroed and faulted in each time; docs/BENCHMARKS-HISTORY.md, session 10).
   */
  private reused = new Uint8Array(0);

  constructor(
    private readonly sink: FrameSink,
    /** The largest message the peer takes; a batch stays within it (a bigger frame goes alone). */
    private maxMessageBytes: number,
  ) {}

  /** The peer said it reads batch messages. */
  peerReadsBatches(): void {
    this.batches = true;
  }

  /** The peer said how large a message it takes. */
  limit(maxMessageBytes: number): void {
    this.maxMessageBytes = maxMessageBytes;
  }

  text(frame: string): void {
    this.push(frame);
  }

  /** A body chunk for request `id` (chunk-frame.ts); `bytes` must stay as they are until written. */
  chunk(id: number, bytes: Uint8Array): void {
    this.push({ id, bytes });
  }

  /** A binary request or answer frame, whole, or a request framed where it is written (request-frame.ts). */
  binary(frame: Uint8Array<ArrayBuffer> | QueuedRequest): void {
    this.push(frame);
  }

  /** A whole answer, framed where it is written; `answer.bytes` must stay as they are until then. */
  answer(answer: QueuedAnswer): void {
    this.push(answer);
  }

  /** About the bytes queued and not yet handed to the socket (`queuedBytes`); read once a request, not a frame. */
  pendingBytes(): number {
    let bytes = 0;
    for (const frame of this.queue) bytes += queuedBytes(frame);
    return bytes;
  }

  /** Writes what is queued now (before a close, so that a `rejected` still leaves). */
  readonly flush = (): void => {
    this.scheduled = false;
    const frames = this.queue;
    if (frames.length === 0) return;
    this.queue = [];
    if (this.sink.cork) this.sink.cork(() => this.write(frames));
    else this.write(frames);
  };

  private push(frame: QueuedFrame): void {
    this.queue.push(frame);
    if (this.scheduled) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: everything they wrote leaves together.
    setImmediate(this.flush);
  }

  private write(frames: QueuedFrame[]): void {
    if (!this.batches || frames.length === 1) {
      for (const frame of frames) this.one(frame);
      return;
    }
    let group: QueuedFrame[] = [];
    let size = 1;
    for (const frame of frames) {
      const bytes = batchedSize(frame);
      if (group.length > 0 && size + bytes > this.maxMessageBytes) {
        this.group(group);
        group = [];
        size = 1;
      }
      group.push(frame);
      size += bytes;
    }
    this.group(group);
  }

  private group(frames: QueuedFrame[]): void {
    if (frames.length === 1) this.one(frames[0] as QueuedFrame);
    else this.sink.binary(encodeBatch(frames, this.allocate));
  }

  private one(frame: QueuedFrame): void {
    if (typeof frame === "string") this.sink.text(frame);
    else this.sink.binary(encodeAlone(frame, this.allocate));
  }

  /** `size` bytes to write a message into: the reused buffer's start where it fits. */
  private readonly allocate = (size: number): Uint8Array<ArrayBuffer> => {
    if (size > REUSED_BYTES) return new Uint8Array(size);
    if (size > this.reused.byteLength)
      this.reused = new Uint8Array(Math.min(REUSED_BYTES, 2 ** Math.ceil(Math.log2(size))));
    return this.reused.subarray(0, size);
  };
}
