import type { StreamedAnswer } from "../streamed-answer.ts";
import type { Http1Connection } from "./http1-connection.ts";
import { listedHead, type ResponseHead } from "./response-head.ts";

/** One request on a connection, and where its outcome goes. */
export interface Exchange {
  /** A HEAD request: the answer has no body whatever its headers say. */
  readonly headOnly: boolean;
  /** A body whole when the head arrives goes to `answerWhole` as bytes, without a `Response`. */
  readonly takesWhole: boolean;
  /** A successful event stream goes to `answerFeed` as a byte feed, without a `Response`. */
  readonly takesFeed: boolean;
  /** Its request's last byte is written to the connection (the socket took it): the upstream has it. */
  written(): void;
  /** The answer, as soon as its head is in. */
  answer(response: Response): void;
  /** An answer whose body was whole with its head (or bodyless), when `takesWhole`. */
  answerWhole(head: ResponseHead, body: Uint8Array<ArrayBuffer>): void;
  /** A 2xx event stream not encoded, as soon as its head is in, when `takesFeed`. */
  answerFeed(answer: StreamedAnswer): void;
  /**
   * The connection is done with it (answered whole, its body ended or failed, or it failed): a
   * cancel no longer reaches it there. Before `answerWhole` or `failed`, after `answer`'s body.
   */
  released(): void;
  /** No answer. `stale`: a kept-alive connection closed before any byte of it (it may go again). */
  failed(error: unknown, stale: boolean): void;
}

/** Where a connection goes when its exchange is over. */
export interface ConnectionOwner {
  /** The connection finished an exchange and may carry another. */
  idle(connection: Http1Connection): void;
  /** The connection closed (whatever it was doing). */
  closed(connection: Http1Connection): void;
}

/** Where the upstream is, and how a connection to it is named in the pool. */
export interface Origin {
  readonly key: string;
  readonly hostname: string;
  readonly port: number;
}

/** A `Response`'s status and headers from a parsed head (parsed again if it was without them). */
export function responseInit(parsed: ResponseHead): ResponseInit {
  const head = listedHead(parsed);
  return { status: head.status, statusText: head.statusText, headers: head.headers };
}
