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
  /** The one read held (the usual case: no list a body). */
  private held: Uint8Array | undefined;
  /** Every read held, once more than one was: made then, emptied and reused after. */
  private heldList: Uint8Array[] | undefined;
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
    this.hold(bytes);
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

  private hold(bytes: Uint8Array): void {
    const list = this.heldList;
    if (list !== undefined && list.length > 0) list.push(bytes);
    else if (this.held === undefined) this.held = bytes;
    else {
      if (list === undefined) this.heldList = [this.held, bytes];
      else list.push(this.held, bytes);
      this.held = undefined;
    }
  }

  private dropHeld(): void {
    this.held = undefined;
    // Emptied, not replaced: no new array a read.
    if (this.heldList !== undefined) this.heldList.length = 0;
    this.heldBytes = 0;
  }

  private takeHeld(): Uint8Array {
    const list = this.heldList;
    const joined =
      list !== undefined && list.length > 0 ? Buffer.concat(list, this.heldBytes) : (this.held as Uint8Array);
    this.dropHeld();
    return joined;
  }
}
