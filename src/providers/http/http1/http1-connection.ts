import type { Socket, SocketHandler } from "bun";
import { BodyFeed } from "./body-feed.ts";
import { BodyFraming } from "./body-framing.ts";
import { BodyStream } from "./body-stream.ts";
import { bytesOf } from "./byte-view.ts";
import { decodedBody } from "./content-decoding.ts";
import { type ConnectionOwner, type Exchange, type Origin, responseInit } from "./exchange.ts";
import { HeadReader } from "./head-reader.ts";
import type { BodyFlow, HeldBody } from "./held-body.ts";
import type { ResponseHead } from "./response-head.ts";
import { type HeldWriter, TurnWrites } from "./turn-writes.ts";

// What the connection is doing.
const IDLE = 0;
const HEAD = 1;
const BODY = 2;

const NO_BYTES = new Uint8Array(0);

/**
 * The upstream closed the connection before the answer was whole: `ECONNRESET`, the code
 * `fetch` and node:http give it (a caller that retries on network errors reads it: the OTLP exporter).
 */
const closedError = (message: string) => Object.assign(new Error(message), { code: "ECONNRESET" });

/** The requests written at the end of this turn, for every connection of the process. */
const turnWrites = new TurnWrites();
/** Connections carrying an exchange right now (of every pool): none other, and a request is written at once. */
let carrying = 0;

const handlers: SocketHandler<Http1Connection> = {
  data: (socket, data) => socket.data.received(data),
  drain: (socket) => socket.data.drained(),
  close: (socket, error) => socket.data.ended(error),
  error: (socket, error) => socket.data.ended(error),
};

/**
 * One HTTP/1.1 connection on `Bun.connect`, carrying one exchange at a time. The answer is a
 * `Response` as soon as its head is in; its body streams as bytes arrive, and a reader that
 * falls behind pauses the socket (TCP backpressure to the upstream) until it pulls again. A body
 * already whole when the head arrives is handed over as bytes, without a stream; a successful
 * event stream, to an exchange that takes one, as a byte feed (no `Response`, no stream object).
 */
export class Http1Connection implements HeldWriter {
  /** When the connection last went idle (its pool's clock, monotonic), and how long it may stay so. */
  idleSince = 0;
  idleMs: number;
  /** In its owner's idle list. */
  pooled = false;
  closed = false;
  /** It carried an exchange to its end already: a close before the next answer may be a stale keep-alive. */
  private reused = false;
  private socket!: Socket<Http1Connection>;
  private phase = IDLE;
  private gotByte = false;
  private readonly heads = new HeadReader();
  /** The exchange in progress (one at a time). */
  private current: Exchange | null = null;
  private readonly framing = new BodyFraming();
  /** The body in progress, fed from the socket. */
  private body: HeldBody | null = null;
  private keepAlive = false;
  private unsent: Uint8Array | null = null;
  /** Its request is held in `turnWrites`, not yet written. */
  private held = false;
  /**
   * What every body of the connection asks of it (one object a connection, not a body). A body
   * is ended or failed before the connection carries another exchange, so a late cancel of an
   * old body is a no-op there (held-body.ts) and never reaches a later exchange.
   */
  private readonly flow: BodyFlow = {
    pause: () => this.socket.pause(),
    resume: () => this.socket.resume(),
    cancel: () => this.fail(new Error("body cancelled")),
  };

  private constructor(
    readonly origin: Origin,
    private readonly owner: ConnectionOwner,
    private readonly defaultIdleMs: number,
  ) {
    this.idleMs = defaultIdleMs;
  }

  /** Opens a connection (rejects when the upstream cannot be reached). */
  static async open(origin: Origin, owner: ConnectionOwner, idleMs: number): Promise<Http1Connection> {
    const connection = new Http1Connection(origin, owner, idleMs);
    connection.socket = await Bun.connect({
      hostname: origin.hostname,
      port: origin.port,
      data: connection,
      socket: handlers,
    });
    return connection;
  }

  /**
   * Sends a request, `bytes[0, size)` (a buffer its caller reuses once this returns: what the
   * socket does not take at once is copied; unless `alone`, a buffer made for this request alone,
   * kept as it is); its exchange hears of the answer once its head is in, or of the failure. While
   * other connections carry exchanges, the request is held and written with the others of this
   * turn at its end (turn-writes.ts); not one `alone`, whose copy there would cost more than the
   * wake it saves (a large body, the request's size again).
   */
  request(exchange: Exchange, bytes: Buffer, size: number, alone = false): void {
    if (this.closed) {
      exchange.failed(closedError("upstream closed the connection before answering"), this.reused);
      return;
    }
    this.current = exchange;
    this.phase = HEAD;
    carrying++;
    this.gotByte = false;
    if (carrying === 1 || alone) this.write(bytes, 0, size, alone);
    else {
      this.held = true;
      turnWrites.hold(this, bytes, size);
    }
  }

  /** The held request, written at the turn's end; not if the exchange ended meanwhile (aborted). */
  sendHeld(bytes: Buffer, from: number, size: number): void {
    if (!this.held) return;
    this.held = false;
    if (!this.closed) this.write(bytes, from, size, false);
  }

  private write(bytes: Buffer, from: number, size: number, alone: boolean): void {
    const written = Math.max(this.socket.write(bytes, from, size), 0);
    if (written >= size) {
      this.current?.written();
      return;
    }
    const rest = bytes.subarray(from + written, from + size);
    // A copy, unless the buffer is this request's alone: `bytes` is written over by the next request.
    this.unsent = alone ? rest : new Uint8Array(rest);
  }

  /** Pool bookkeeping: an idle socket does not keep the process alive; a busy one does. */
  hold(busy: boolean): void {
    if (busy) this.socket.ref();
    else this.socket.unref();
  }

  /** The caller gave up on `exchange`: if it is still this connection's, it fails with `reason` and the connection closes. */
  cancel(exchange: Exchange, reason: unknown): void {
    if (this.current === exchange) this.fail(reason);
  }

  /** Closes the connection at once (an exchange in progress fails). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.closed(this);
    this.socket.terminate();
  }

  received(data: Buffer): void {
    if (this.phase === BODY) this.readBody(data, 0);
    else if (this.phase === HEAD) {
      this.gotByte = true;
      this.readHead(data);
    } else this.destroy(); // bytes nobody asked for: the framing is lost
  }

  drained(): void {
    const unsent = this.unsent;
    if (!unsent) return;
    this.unsent = null;
    const written = Math.max(this.socket.write(unsent), 0);
    if (written < unsent.byteLength) this.unsent = unsent.subarray(written);
    else this.current?.written();
  }

  ended(error?: Error): void {
    if (!this.closed) {
      this.closed = true;
      this.owner.closed(this);
    }
    if (this.phase === HEAD) {
      const stale = this.reused && !this.gotByte;
      this.fail(error ?? closedError("upstream closed the connection before answering"), stale);
    } else if (this.phase === BODY) {
      if (this.framing.untilClose && !error) this.endBody(false);
      else this.fail(error ?? closedError("upstream closed the connection mid-body"));
    }
  }

  private readHead(data: Buffer): void {
    let head: ResponseHead | null;
    try {
      // An answer handed over without a `Response` needs no list of headers.
      const exchange = this.current as Exchange;
      head = this.heads.take(data, !(exchange.takesFeed || exchange.takesWhole));
    } catch (error) {
      this.fail(error);
      return;
    }
    if (head) this.startBody(head, this.heads.read, this.heads.bodyAt);
  }

  /** The body begins at `read[bodyAt]` (a view is made only of what is there: none a whole body's head). */
  private startBody(head: ResponseHead, read: Buffer, bodyAt: number): void {
    const inRead = read.byteLength - bodyAt;
    const { status } = head;
    const bodyless = (this.current as Exchange).headOnly || status === 204 || status === 304;
    this.keepAlive = head.keepAlive && (bodyless || head.framing !== "close");
    this.idleMs =
      head.keepAliveMs > 0
        ? Math.min(this.defaultIdleMs, Math.max(head.keepAliveMs - 1000, head.keepAliveMs / 2))
        : this.defaultIdleMs;
    if (bodyless) {
      this.answer(head, null, inRead > 0);
      return;
    }
    // A whole body is handed over as bytes (cheapest for a whole read); an event stream is
    // still a stream (cheapest for a reader loop).
    if (head.framing === "length" && inRead >= head.length && !head.encoding && !head.eventStream) {
      this.answer(head, bytesOf(read, bodyAt, bodyAt + head.length), inRead > head.length);
      return;
    }
    this.framing.start(head);
    // A body already whole in this read, or declared empty (`content-length: 0` on an event
    // stream or an encoded body, which no later read would end), is fed now.
    const feedNow = inRead > 0 || (head.framing === "length" && head.length === 0);
    const exchange = this.current as Exchange;
    if (exchange.takesFeed && head.eventStream && !head.encoding && status >= 200 && status < 300) {
      const feed = new BodyFeed(this.flow, status, head.framing === "length" ? head.length : -1);
      this.body = feed;
      this.phase = BODY;
      exchange.answerFeed(feed);
      if (feedNow) this.readBody(read, bodyAt);
      return;
    }
    const body = new BodyStream(this.flow);
    this.body = body;
    const stream = body.stream;
    let response: Response;
    try {
      response = new Response(
        head.encoding ? decodedBody(stream, head.encoding) : stream,
        responseInit(head),
      );
    } catch (error) {
      this.fail(error);
      return;
    }
    this.phase = BODY;
    this.current?.answer(response);
    if (feedNow) this.readBody(read, bodyAt);
  }

  /** Answers with a body that is whole already (or none), and ends the exchange. */
  private answer(head: ResponseHead, body: Uint8Array<ArrayBuffer> | null, trailing: boolean): void {
    const exchange = this.current as Exchange;
    if (exchange.takesWhole) {
      this.finish(trailing);
      exchange.answerWhole(head, body ?? NO_BYTES);
      return;
    }
    let response: Response;
    try {
      response = new Response(body, responseInit(head));
    } catch (error) {
      this.fail(error);
      return;
    }
    this.finish(trailing);
    exchange.answer(response);
  }

  /** The body's bytes of a socket read, from `from` on. */
  private readBody(data: Uint8Array, from: number): void {
    let used: number;
    try {
      used = this.framing.feed(data, from, this.body);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (used >= 0) this.endBody(used < data.byteLength);
  }

  private endBody(trailing: boolean): void {
    this.body?.end();
    this.finish(trailing);
  }

  /** The exchange is over: the connection goes back to its owner, or closes if it cannot carry another. */
  private finish(trailing: boolean): void {
    // An answer before its request went out (a server answering unasked) leaves the request unsent.
    const requestOut = !this.unsent && !this.held;
    this.settle();
    this.reused = true;
    if (this.keepAlive && !trailing && requestOut && !this.closed) this.owner.idle(this);
    else this.destroy();
  }

  /** Fails the exchange in progress (its answer or its body) and closes the connection. */
  private fail(error: unknown, stale = false): void {
    const exchange = this.current;
    const phase = this.phase;
    const body = this.body;
    this.settle();
    this.destroy();
    if (phase === HEAD) exchange?.failed(error, stale);
    else if (phase === BODY) body?.error(error);
  }

  private settle(): void {
    if (this.phase !== IDLE) carrying--;
    this.phase = IDLE;
    this.held = false;
    const exchange = this.current;
    this.current = null;
    this.body = null;
    this.framing.reset();
    this.heads.reset();
    exchange?.released();
  }
}
