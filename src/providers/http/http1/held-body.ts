/** Body bytes held for a reader that is behind before the socket is paused (TCP backpressure). */
export const HELD_BYTES = 128 * 1024;

/** What a body asks of its connection. */
export interface BodyFlow {
  /** Stop reading the socket: the reader is behind. */
  pause(): void;
  /** Read the socket again. */
  resume(): void;
  /** The reader cancelled the body before its end. */
  cancel(): void;
}

/**
 * A response body fed by socket reads, whatever its reader is (a `ReadableStream`, body-stream.ts,
 * or the relay's byte feed, body-feed.ts). Bytes that arrive while a reader waits go straight to
 * it; bytes that arrive while none waits are held and handed over joined on the next read (one
 * read for a burst of small writes, as with `fetch`); past HELD_BYTES the socket is paused until
 * that read, so a slow reader holds the upstream back instead of filling memory.
 */
export abstract class HeldBody {
  protected ended = false;
  private waiting = false;
  private readonly held: Uint8Array[] = [];
  private heldBytes = 0;
  private paused = false;

  constructor(private readonly flow: BodyFlow) {}

  /** Bytes from the socket. */
  push(bytes: Uint8Array): void {
    if (this.ended || bytes.byteLength === 0) return;
    if (this.waiting) {
      this.waiting = false;
      this.handOver(bytes);
      return;
    }
    this.held.push(bytes);
    this.heldBytes += bytes.byteLength;
    if (!this.paused && this.heldBytes >= HELD_BYTES) {
      this.paused = true;
      this.flow.pause();
    }
  }

  /** The whole body is in: what is held goes with the end, the socket is read again (its next answer, or its close). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.finish(this.heldBytes > 0 ? this.takeHeld() : undefined);
    this.resume();
  }

  error(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.dropHeld();
    this.failWith(error);
  }

  /** A reader asks: what is held, or undefined when the next bytes are to go to `handOver`. */
  protected pulled(): Uint8Array | undefined {
    const out = this.heldBytes > 0 ? this.takeHeld() : undefined;
    if (!out) this.waiting = true;
    this.resume();
    return out;
  }

  /** The reader gave up the body before its end: nothing more is read. */
  protected cancelled(): void {
    if (this.ended) return;
    this.ended = true;
    this.dropHeld();
    this.flow.cancel();
  }

  /** Bytes for the reader that waits. */
  protected abstract handOver(bytes: Uint8Array): void;
  /** The body's end, with its last bytes when some were held. */
  protected abstract finish(rest: Uint8Array | undefined): void;
  protected abstract failWith(error: unknown): void;

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flow.resume();
  }

  private dropHeld(): void {
    // Emptied, not replaced: no new array a read.
    this.held.length = 0;
    this.heldBytes = 0;
  }

  private takeHeld(): Uint8Array {
    const held = this.held;
    const joined = held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held, this.heldBytes);
    this.dropHeld();
    return joined;
  }
}
