import type { BodyRead, ByteFeed } from "../streamed-answer.ts";
import { type BodyFlow, HeldBody } from "./held-body.ts";

/** The body's end, as every read after it answers (never written to). */
const END: BodyRead = Object.freeze({ done: true, size: 0, value: [] as Uint8Array[] }) as BodyRead;
const NOTHING_TO_DO: Promise<void> = Promise.resolve();

const readOf = (bytes: Uint8Array): BodyRead => ({ done: false, size: bytes.byteLength, value: [bytes] });

/**
 * A response body handed to its reader as the socket reads it, with no stream object in between
 * (a `StreamedAnswer`'s body): a read answers at once with what is held, or waits for the next
 * socket read. Backpressure is the held body's (held-body.ts): a reader that stops pauses the
 * socket. One read at a time, as the relay reads.
 */
export class BodyFeed extends HeldBody implements ByteFeed {
  /** The last bytes, held with the end until they are read. */
  private rest: Uint8Array | undefined;
  private failed = false;
  private failure: unknown;
  /** The waiting read's settlers (one read at a time). */
  private resolve: ((read: BodyRead) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;

  // Written out: a derived class's implicit constructor spreads its arguments (an array a stream).
  constructor(flow: BodyFlow) {
    super(flow);
  }

  readMany(): BodyRead | Promise<BodyRead> {
    if (this.failed) return Promise.reject(this.failure);
    if (this.ended) {
      const rest = this.rest;
      this.rest = undefined;
      return rest ? readOf(rest) : END;
    }
    const held = this.pulled();
    if (held) return readOf(held);
    const { promise, resolve, reject } = Promise.withResolvers<BodyRead>();
    this.resolve = resolve;
    this.reject = reject;
    return promise;
  }

  cancel(): Promise<void> {
    this.cancelled();
    this.waiter()?.(END);
    return NOTHING_TO_DO;
  }

  protected handOver(bytes: Uint8Array): void {
    this.waiter()?.(readOf(bytes));
  }

  protected finish(rest: Uint8Array | undefined): void {
    const waiting = this.waiter();
    if (waiting) waiting(rest ? readOf(rest) : END);
    else this.rest = rest;
  }

  protected failWith(error: unknown): void {
    this.failed = true;
    this.failure = error;
    const reject = this.reject;
    this.waiter();
    reject?.(error);
  }

  /** The waiting read's resolver, taken (undefined when no read waits). */
  private waiter(): ((read: BodyRead) => void) | undefined {
    const resolve = this.resolve;
    this.resolve = undefined;
    this.reject = undefined;
    return resolve;
  }
}
