import type { ChunkSource, QuietListener } from "../core/chunk-source.ts";
import type { JsonObject } from "../core/dialect.ts";
import { errorEvent, responseFailed, responsesFailure, type StreamWire } from "../core/error-wire.ts";
import { clientClosed, type GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { encodeSse, type SseEvent } from "../core/sse.ts";
import { answerResponse } from "./answer-response.ts";
import { failedResponse } from "./failed-response.ts";
import { streamFailureStatus } from "./stream-failure-status.ts";
import { openedResponse, sequenceAfter } from "./stream-tail.ts";

/** Hears a stream's first byte and its end, as methods: one object a stream, no closures. */
export interface StreamEnds {
  firstByte(): void;
  /**
   * Called once, right before the bytes that end the answer are written (those holding its end
   * marker, or the source's last): what it used is charged now, not once the upstream has closed
   * its body (a read later, or more), so that a client that stops at the end marker and asks again
   * at once finds it counted against its limits, on any node. `end` charges nothing more then.
   * Returns the charge's record on its way to the other nodes (`SharedCharge`): the bytes
   * wait for it. Undefined (a single node's counters count at once): they wait for nothing.
   */
  answered(): Promise<void> | undefined;
  /**
   * Called once, right before the response's close (its last write), when the stream ends or
   * fails with the client still there: what must reach Bun while the response is still being
   * written (the socket's own idle bound again: http/stream-socket.ts).
   */
  closing(): void;
  /**
   * Called once: with no error when the stream completed, else how it ended, and the status the
   * caller was told (200, or the one its error event stands for: stream-failure-status.ts).
   */
  end(error: GatewayError | undefined, status: number): void;
  /**
   * Called right before the gateway writes a failure of its own into the stream (an upstream's
   * error event relayed as it came is none), with that failure: it is known before its bytes are
   * read (a Responses WebSocket turn's status: http/responses-socket/socket-events.ts).
   */
  failing?(error: GatewayError): void;
}

/** The comment that keeps a stream alive while it has nothing to say (a client or proxy sees a live connection). */
export const KEEP_ALIVE = new TextEncoder().encode(": keep-alive\n\n");

/**
 * An event stream's headers, written into the request's own record: three stores, where
 * `Object.assign` of a shared record walked it generically (~0.1 µs more a stream in a loop:
 * docs/BENCHMARKS-HISTORY.md, session 15). `x-accel-buffering: no` tells nginx (and proxies that
 * follow it) to pass events on as they come.
 */
function addStreamHeaders(headers: Record<string, string>): void {
  headers["content-type"] = "text/event-stream; charset=utf-8";
  headers["cache-control"] = "no-cache";
  headers["x-accel-buffering"] = "no";
}
const encoder = new TextEncoder();
/** A keep-alive comment's write, once it was taken: its drain is nobody's to wait for. */
const ignore = () => {};

/**
 * A stream whose whole answer came in its first read, its end with it: nothing is left to pull
 * and no slow client can hold anything back, so it is a byte body with the event stream's headers,
 * answered as a non-stream answer is (http/model-pipeline.ts): head and body in one write with
 * their length, after the handler settles, and the request's ending after Bun wrote it (no
 * stream, source or sink object; cheaper than Bun's direct stream, which wrote the same bytes
 * chunked: docs/BENCHMARKS-HISTORY.md, session 12). `headers` are the request's own.
 */
export function wholeStreamResponse(bytes: Uint8Array, headers: Record<string, string>): Response {
  addStreamHeaders(headers);
  // An upstream read or a join of reads: never a view of shared memory.
  return answerResponse(bytes as Uint8Array<ArrayBuffer>, 200, headers);
}

/**
 * Relays a stream to the client one pull at a time — one write per upstream read on the
 * same-dialect path — so a slow client slows the upstream read instead of filling memory. A
 * failure after the first byte ends the stream as the caller's wire ends one (an error event; a
 * Responses stream's `error` and `response.failed`); a client that goes away cancels the
 * upstream; a client that has had nothing for `routing.stream_keepalive` while the upstream is
 * quiet is sent a keep-alive comment between two events (the source's `keepAlive`). `headers` are the request's own, finished here (no copy): nothing else answers the
 * request.
 *
 * Bun's direct stream, written one upstream read at a time. Each write is awaited when Bun
 * reports the client's socket backed up (a pending promise), so a slow client still slows the
 * upstream read (session 3 dropped a direct stream that wrote on regardless: all of a 268 MB
 * answer in 1.5 s). A standard stream did the same with a reader, a read request and promises a
 * read, and Bun's release of its reader made two `TypeError`s a stream (docs/BENCHMARKS-HISTORY.md,
 * session 15).
 */
export function sseResponse(
  chunks: ChunkSource,
  wire: StreamWire,
  headers: Record<string, string>,
  ends: StreamEnds,
  /**
   * The source's first read when the caller took it already (`ready`): written before Bun writes
   * the response head, so the head and the first token can leave in one write.
   */
  first: Uint8Array | undefined,
  /**
   * How a translated stream ends in failure (the Responses writer numbers its own events and fails
   * its own response); absent, or undefined for this failure, the wire's usual end (no closure
   * made per stream for the default).
   */
  failureEventsOf?: (error: GatewayError) => SseEvent[] | undefined,
): Response {
  addStreamHeaders(headers);
  const source = new RelayedSource(chunks, wire, ends, first, failureEventsOf);
  return answerResponse(new DirectStream(source), 200, headers);
}

/**
 * Bun's `ReadableStream` constructor as typed for a direct source: the DOM library's typings,
 * which this project compiles with, replace Bun's and lack that overload.
 */
const DirectStream = ReadableStream as unknown as new (
  source: Bun.DirectUnderlyingSource<Uint8Array>,
) => ReadableStream<Uint8Array>;

/**
 * The relayed stream's source, one object a stream: Bun calls `pull` once, and it writes every
 * read until the source ends, fails or the client leaves (`cancel`); in between, the keep-alive
 * comments a quiet upstream calls for (`quiet`).
 */
class RelayedSource implements Bun.DirectUnderlyingSource<Uint8Array>, QuietListener {
  readonly type = "direct";
  private ended = false;
  /** Bun's controller, once it pulls: a keep-alive comment is written to it between two reads. */
  private controller: ReadableStreamDirectController | undefined;
  /** The read last written (the keep-alive comments aside): a Responses error event's number (stream-tail.ts). */
  private last: Uint8Array | undefined;
  /**
   * A Responses stream's first read written but a keep-alive comment (its `response.created`, which
   * opens every one): the response a failure fails is read off it then, and only then (stream-tail.ts).
   */
  private opening: Uint8Array | undefined;
  /**
   * A Responses stream whose `opening` is not read yet: one falsy test a read for every other
   * stream (chat's, Anthropic's), which keeps none.
   */
  private awaitsOpening: boolean;
  /**
   * The bytes ending the answer (those holding its end marker, or the source's last): not reached
   * yet; reached, their usage charged (`StreamEnds.answered`), held until the charge's record is
   * answered; written. A client that leaves before they are written did not have the whole answer,
   * however complete the source: whatever held them, the record here or, before the source handed
   * them on, a stored answer's save (`StoredBeforeEnd`).
   */
  private ending: "ahead" | "charged" | "written" = "ahead";

  constructor(
    private readonly chunks: ChunkSource,
    private readonly wire: StreamWire,
    private readonly ends: StreamEnds,
    /** The first read already in hand: written before Bun writes the head, they leave together. */
    private readonly ready: Uint8Array | undefined,
    /**
     * How a translated stream ends in failure (the Responses writer numbers its own events);
     * absent, or undefined for this failure, the wire's usual end.
     */
    private readonly failureEventsOf: ((error: GatewayError) => SseEvent[] | undefined) | undefined,
  ) {
    this.awaitsOpening = wire === "responses";
  }

  async pull(controller: ReadableStreamDirectController): Promise<void> {
    const chunks = this.chunks;
    this.controller = controller;
    chunks.keepAlive?.(this);
    let chunk = this.ready;
    let first = true;
    try {
      for (;;) {
        if (chunk === undefined) {
          chunk = await chunks.next();
          // The client left while the read waited: `cancel` ended the request.
          if (this.ended) return;
          if (chunk === undefined) break;
        }
        if (this.ending === "ahead" && (chunks.complete === true || chunks.drained === true)) {
          this.ending = "charged";
          // On a cluster node, these bytes leave once the shared counters have the charge (Redis
          // answered its record, or failed: cluster/redis-counters.ts), so that a client that reads
          // the end marker and asks another node at once finds it counted. One node records at once,
          // and its streams wait for nothing.
          const shared = this.ends.answered();
          if (shared !== undefined) {
            await shared;
            if (this.ended) return;
          }
        }
        const wrote = controller.write(chunk);
        if (this.ending === "charged") this.ending = "written";
        this.last = chunk;
        // The comment a stream kept alive before its route settled commits it (`ready`), and opens
        // no response: the answer's own first read does.
        if (this.awaitsOpening && chunk !== KEEP_ALIVE) {
          this.opening = chunk;
          this.awaitsOpening = false;
        }
        if (first) {
          first = false;
          this.ends.firstByte();
        }
        // The source's last bytes: the close goes out in the same write.
        if (chunks.drained) break;
        chunk = undefined;
        // The client's socket is backed up: read on once it has drained.
        if (typeof wrote !== "number") await wrote;
        if (this.ended) return;
      }
    } catch (error) {
      if (!this.ended) this.failed(controller, error);
      return;
    }
    this.endUnended(controller);
    // A direct stream's close writes its last bytes (the chunked terminator) at once, so the
    // request's own ending (usage, spend, the audit record, metrics, the access line) runs after
    // them without holding them back: no microtask (and no closure) to wait behind.
    this.ends.closing();
    controller.close();
    // An error event relayed mid-stream still leaves HTTP 200; the record must say it failed.
    this.end(chunks.reported);
  }

  cancel(): void {
    // A client that hangs up after an error event was relayed to it (as the SDKs do on reading
    // one) left because the stream failed: the record keeps the failure, not client_closed. One
    // that leaves on reading the end marker, before the upstream closed its body (the SDKs stop
    // at `[DONE]`), had the whole answer: a success; not one that leaves while those bytes wait.
    const chunks = this.chunks;
    const whole = this.ending === "written" && chunks.complete === true;
    this.end(chunks.reported ?? (whole ? undefined : clientClosed()));
    chunks.cancel();
  }

  /**
   * The client has had nothing for `routing.stream_keepalive` while the upstream is quiet (the
   * source's attempt keeps the time): a comment keeps the connection alive for Bun's idle bound on
   * the socket and any proxy's read timeout. It falls between two events: every source hands out
   * whole events only (the byte relay holds back an event until it has all arrived:
   * routing/relay-scan.ts; a translation writes its own whole).
   */
  quiet(): void {
    const controller = this.controller;
    if (this.ended || controller === undefined) return;
    try {
      const wrote = controller.write(KEEP_ALIVE);
      // Backed up: the comment is taken all the same, and the reads wait for the drain, not this.
      if (typeof wrote !== "number") wrote.catch(ignore);
    } catch {
      // The response is over (its client gone, its cancel still to come): nothing to keep alive.
    }
  }

  private failed(controller: ReadableStreamDirectController, error: unknown): void {
    const failure = toGatewayError(error);
    if (failure.code === "client_closed") {
      this.end(failure);
      controller.close(failure);
      return;
    }
    const events = this.failureEventsOf?.(failure) ?? this.wireFailure(failure);
    this.ends.failing?.(failure);
    controller.write(encoder.encode(events.map(encodeSse).join("")));
    this.ends.closing();
    controller.close();
    this.end(failure);
  }

  /**
   * The wire's own end in failure: chat's and Anthropic's error event; a Responses stream's
   * `error` and `response.failed`, numbered after the last event relayed (a native stream's, read
   * off its last read; else counted; 0 before any), failing the stream's own response (its id as
   * relayed; one of the gateway's when none was, as before a route answered).
   */
  private wireFailure(failure: GatewayError): SseEvent[] {
    const wire = this.wire;
    if (wire !== "responses") return [errorEvent(failure, wire)];
    return responsesFailure(failure, this.nextSequence(), this.failedResponse());
  }

  /**
   * A relayed Responses stream whose upstream reported its failure with a bare `error` event and
   * ended there gets the terminal `response.failed` OpenAI sends after one: Codex over HTTP reads
   * that alone, and sends a stream without it again, five times (core/error-wire.ts).
   */
  private endUnended(controller: ReadableStreamDirectController): void {
    if (this.wire !== "responses") return;
    const failure = this.chunks.failureUnended;
    if (failure === undefined) return;
    const event = responseFailed(failure, this.nextSequence(), this.failedResponse());
    controller.write(encoder.encode(encodeSse(event)));
  }

  /** The number after the last event relayed (read off the last read; else counted; 0 before any). */
  private nextSequence(): number {
    return sequenceAfter(this.last) ?? this.chunks.events ?? 0;
  }

  /** The stream's own response, to fail: its id and `previous_response_id` as relayed (failed-response.ts). */
  private failedResponse(): JsonObject {
    return failedResponse(openedResponse(this.opening));
  }

  private end(error?: GatewayError): void {
    if (this.ended) return;
    this.ended = true;
    this.ends.end(error, error ? streamFailureStatus(error, this.chunks, this.wire) : 200);
  }
}
