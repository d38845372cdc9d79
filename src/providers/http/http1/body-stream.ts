/** Body bytes held for a reader that is behind before the socket is paused (TCP backpressure). */
export const HELD_BYTES = 128 * 1024;

/** What a body stream asks of its connection. */
export interface BodyFlow {
  /** Stop reading the socket: the reader is behind. */
  pause(): void;
  /** Read the socket again. */
  resume(): void;
  /** The reader cancelled the body before its end. */
  cancel(): void;
}

/**
 * A response body fed by socket reads. High-water mark 0: `pull` means a reader is waiting, and
 * bytes that arrive while it waits go straight to it. Bytes that arrive while none waits are held
 * and handed over joined on the next read (one read for a burst of small writes, as with
 * `fetch`); past HELD_BYTES the socket is paused until that read, so a slow reader holds the
 * upstream back instead of filling memory.
 */
export class BodyStream {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private waiting = false;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private paused = false;
  private ended = false;

  constructor(private readonly flow: BodyFlow) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.pulled(),
        cancel: () => {
          if (this.ended) return;
          this.ended = true;
          this.held = [];
          this.flow.cancel();
        },
      },
      { highWaterMark: 0 },
    );
  }

  push(bytes: Uint8Array): void {
    if (this.ended || bytes.byteLength === 0) return;
    if (this.waiting) {
      this.waiting = false;
      this.controller.enqueue(bytes);
      return;
    }
    this.held.push(bytes);
    this.heldBytes += bytes.byteLength;
    if (!this.paused && this.heldBytes >= HELD_BYTES) {
      this.paused = true;
      this.flow.pause();
    }
  }

  /** The whole body is in: what is held is queued, the socket read again (its next answer, or its close). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.heldBytes > 0) this.controller.enqueue(this.takeHeld());
    this.controller.close();
    if (this.paused) {
      this.paused = false;
      this.flow.resume();
    }
  }

  error(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.held = [];
    this.controller.error(error);
  }

  /** A reader waits: what is held goes now, else the next bytes go straight to it. */
  private pulled(): void {
    if (this.ended) return;
    if (this.heldBytes > 0) this.controller.enqueue(this.takeHeld());
    else this.waiting = true;
    if (this.paused) {
      this.paused = false;
      this.flow.resume();
    }
  }

  private takeHeld(): Uint8Array {
    const held = this.held;
    const joined = held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    return joined;
  }
}
