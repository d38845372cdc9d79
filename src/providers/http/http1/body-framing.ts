import { bytesOf } from "./byte-view.ts";
import { ChunkedDecoder } from "./chunked-decoder.ts";
import type { HeldBody } from "./held-body.ts";
import type { ResponseHead } from "./response-head.ts";

// How the body in progress ends.
const LENGTH = 0;
const CHUNKED = 1;
const CLOSE = 2;

/**
 * How a response body in progress ends (its declared length, its chunked framing, or the
 * connection's close) and how far each read goes into it: what of a read is the body's goes to
 * the body, decoded from chunks where it is chunked. One a connection, for its bodies in turn.
 */
export class BodyFraming {
  private framing = LENGTH;
  private remaining = 0;
  private readonly chunked = new ChunkedDecoder();
  private body: HeldBody | null = null;
  private readonly emit = (bytes: Uint8Array) => this.body?.push(bytes);

  /** A body framed as `head` says begins. */
  start(head: ResponseHead): void {
    if (head.framing === "length") {
      this.framing = LENGTH;
      this.remaining = head.length;
    } else if (head.framing === "chunked") {
      this.framing = CHUNKED;
      this.chunked.reset();
    } else this.framing = CLOSE;
  }

  /** The body runs to the connection's close: a close ends it rather than cutting it short. */
  get untilClose(): boolean {
    return this.framing === CLOSE;
  }

  /**
   * Hands what of `data` from `from` on is the body's to `body` (one piece a read, made of the read
   * itself: no copy of the read's body part first): -1 while the body goes on, else where in
   * `data` it ended (any bytes after it are bytes nobody asked for). Throws on a broken chunked
   * framing.
   */
  feed(data: Uint8Array, from: number, body: HeldBody | null): number {
    const n = data.byteLength;
    if (this.framing === LENGTH) {
      const take = Math.min(this.remaining, n - from);
      this.remaining -= take;
      if (take > 0) body?.push(from === 0 && take === n ? data : bytesOf(data, from, from + take));
      return this.remaining === 0 ? from + take : -1;
    }
    if (this.framing === CHUNKED) {
      this.body = body;
      const used = this.chunked.push(data, from, this.emit);
      return this.chunked.done ? used : -1;
    }
    if (from < n) body?.push(from === 0 ? data : bytesOf(data, from, n));
    return -1;
  }

  /** The body is over (ended or failed). */
  reset(): void {
    this.body = null;
  }
}
