import type { BodyRead, ByteFeed, StreamedAnswer } from "../streamed-answer.ts";
import { type BodyFlow, HeldBody } from "./held-body.ts";

/** The body's end, as every read after it answers (never written to). */
const END: BodyRead = Object.freeze({ done: true, size: 0, value: [] as Uint8Array[] }) as BodyRead;
const NOTHING_TO_DO: Promise<void> = Promise.resolve();

/**
 * A response body handed to its reader as the socket reads it, with no stream object in between:
 * a read answers at once with what is held, or waits for the next socket read. Backpressure is
 * the held body's (held-body.ts): a reader that stops pauses the socket. One read at a time, as
 * the relay reads.
 *
 * One object a stream in three roles: the `StreamedAnswer` (its status and declared length, and
 * itself as the body), the byte feed, and each read's result, which holds the read's bytes until
 * the next read (every reader takes a read's bytes before it asks for more: the byte relay, a
 * `Response` made of the feed): no answer object, and no object and array a read.
 */
export class BodyFeed extends HeldBody implements ByteFeed, StreamedAnswer, BodyRead {
  /** As a read's result: never the end (the end is `END`). */
  readonly done = false;
  /** As a read's result: its bytes, the one chunk `value` holds. */
  size = 0;
  readonly value: Uint8Array[] = [];
  /** The last bytes, held with the end until they are read. */
  private rest: Uint8Array | undefined;
  private failed = false;
  private failure: unknown;
  /** The waiting read's settlers (one read at a time). */
  private resolve: ((read: BodyRead) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;

  // Written out: a derived class's implicit constructor spreads its arguments (an array a stream).
  constructor(
    flow: BodyFlow,
    readonly status: number,
    /** The declared body length, -1 when none was declared. */
    readonly length: number,
  ) {
    super(flow);
  }

  /** As the answer: the feed is its own body. */
  get body(): ByteFeed {
    return this;
  }

  readMany(): BodyRead | Promise<BodyRead> {
    if (this.failed) return Promise.reject(this.failure);
    if (this.ended) {
      const rest = this.rest;
      this.rest = undefined;
      return rest ? this.readOf(rest) : END;
    }
    const held = this.pulled();
    if (held) return this.readOf(held);
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
    this.waiter()?.(this.readOf(bytes));
  }

  protected finish(rest: Uint8Array | undefined): void {
    const waiting = this.waiter();
    if (waiting) waiting(rest ? this.readOf(rest) : END);
    else this.rest = rest;
  }

  protected failWith(error: unknown): void {
    this.failed = true;
    this.failure = error;
    const reject = this.reject;
    this.waiter();
    reject?.(error);
  }

  /** The feed as the read of `bytes` (the previous read's bytes were taken before this one was asked for). */
  private readOf(bytes: Uint8Array): BodyRead {
    this.value[0] = bytes;
    this.size = bytes.byteLength;
    return this;
  }

  /** The waiting read's resolver, taken (undefined when no read waits). */
  private waiter(): ((read: BodyRead) => void) | undefined {
    const resolve = this.resolve;
    this.resolve = undefined;
    this.reject = undefined;
    return resolve;
  }
}
