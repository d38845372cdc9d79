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
  private chunked: ChunkedDecoder | null = null;
  private body: HeldBody | null = null;
  private readonly emit = (bytes: Uint8Array) => this.body?.push(bytes);

  /** A body framed as `head` says begins. */
  start(head: ResponseHead): void {
    if (head.framing === "length") {
      this.framing = LENGTH;
      this.remaining = head.length;
    } else if (head.framing === "chunked") {
      this.framing = CHUNKED;
      this.chunked = new ChunkedDecoder();
    } else this.framing = CLOSE;
  }

  /** The body runs to the connection's close: a close ends it rather than cutting it short. */
  get untilClose(): boolean {
    return this.framing === CLOSE;
  }

  /**
   * Hands what of `data` is the body's to `body`: -1 while the body goes on, else how many bytes
   * of `data` it took (it ended there; any after it are bytes nobody asked for). Throws on a
   * broken chunked framing.
   */
  feed(data: Uint8Array, body: HeldBody | null): number {
    if (this.framing === LENGTH) {
      const take = Math.min(this.remaining, data.byteLength);
      this.remaining -= take;
      body?.push(take === data.byteLength ? data : bytesOf(data, 0, take));
      return this.remaining === 0 ? take : -1;
    }
    if (this.framing === CHUNKED) {
      const decoder = this.chunked as ChunkedDecoder;
      this.body = body;
      const used = decoder.push(data, this.emit);
      return decoder.done ? used : -1;
    }
    body?.push(data);
    return -1;
  }

  /** The body is over (ended or failed). */
  reset(): void {
    this.chunked = null;
    this.body = null;
  }
}
