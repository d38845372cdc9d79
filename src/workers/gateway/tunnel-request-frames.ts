import { encodeFrame, type RequestFrame } from "../protocol.ts";
import {
  encodeRequestFrame,
  type PlainRequest,
  type QueuedRequest,
  queuedRequest,
} from "../request-frame.ts";
import type { TunnelRequest } from "./registered-worker.ts";

/** A request frame as the tunnel writes it: JSON text, or binary (whole, or to be framed where written). */
export type OutgoingFrame = string | Uint8Array<ArrayBuffer> | QueuedRequest;

/** What the worker at the other end reads, as its register frame said, and what its socket sends. */
export interface FramePeer {
  /** The worker announced `bodyText`: a request's body may go as the client's text. */
  readonly bodyText: boolean;
  /** The worker announced `binaryRequests` and the transport sends binary messages. */
  readonly binary: boolean;
  /** The stream window each request is given. */
  readonly window: number;
}

/** Counted in bytes only when a text's length alone cannot rule it out. */
export const largerThan = (frame: OutgoingFrame, limit: number) =>
  typeof frame === "string"
    ? frame.length * 3 > limit && Buffer.byteLength(frame) > limit
    : frame instanceof Uint8Array
      ? frame.byteLength > limit
      : frame.headBytes + frame.bytes.byteLength > limit;

/** A `bodyText` for a JSON request frame; a byte order mark, if a client sent one, stays part of it. */
const CLIENT_TEXT = new TextDecoder("utf-8", { ignoreBOM: true });

const hasAny = (headers: Readonly<Record<string, string>>) => {
  for (const _ in headers) return true;
  return false;
};

/**
 * The frames one tunnel sends its worker for requests (docs/worker-protocol.md): binary where the
 * worker reads them and the request is the common one (a POST with the client's text and no
 * headers, query or trace state), else JSON, with the body as the client's text to a worker that
 * takes it and parsed to one that does not.
 */
export class TunnelRequestFrames {
  /**
   * The fields of each binary request frame, set and written at once (request-frame.ts keeps
   * nothing of it): one object for the tunnel, not one a request.
   */
  private readonly plain: PlainRequest = {
    id: 0,
    requestId: "",
    path: "",
    stream: false,
    window: 0,
    traceparent: undefined,
    model: undefined,
  };

  constructor(private readonly peer: FramePeer) {}

  /** A request of this node's, under the tunnel's id `id`. */
  forRequest(id: number, request: TunnelRequest): OutgoingFrame {
    const {
      method,
      path,
      body,
      clientBytes,
      stream,
      requestId,
      traceparent,
      headers,
      query,
      worker,
      tenant,
    } = request;
    // Only beside a traceparent; the binary frame has no place for it (a request with one goes as JSON).
    const tracestate = traceparent ? request.tracestate : undefined;
    const { window } = this.peer;
    // An older worker does not know `bodyText`: it gets the parsed body, re-serialised upstream.
    // One that does gets only the model beside the client's bytes (for its span), not the body twice.
    const bytes = this.peer.bodyText ? clientBytes : undefined;
    const model = typeof body.model === "string" ? body.model : undefined;
    const sent = headers && hasAny(headers) ? headers : undefined;
    const plain =
      bytes !== undefined && !method && !sent && !query && !worker && tenant === undefined && !tracestate;
    if (plain) {
      const texts = this.plain;
      texts.id = id;
      texts.requestId = requestId;
      texts.path = path;
      texts.stream = stream;
      texts.window = window;
      texts.traceparent = traceparent;
      texts.model = model;
    }
    return (
      (plain && this.binary(this.plain, bytes)) ||
      encodeFrame({
        type: "request",
        id: String(id),
        requestId,
        ...(method ? { method } : {}),
        path,
        ...(bytes !== undefined
          ? { body: model === undefined ? {} : { model }, bodyText: CLIENT_TEXT.decode(bytes) }
          : { body }),
        stream,
        window,
        ...(traceparent ? { traceparent } : {}),
        ...(tracestate ? { tracestate } : {}),
        ...(sent ? { headers: sent } : {}),
        ...(query ? { query } : {}),
        ...(worker ? { worker } : {}),
        ...(tenant !== undefined ? { tenant } : {}),
      })
    );
  }

  /**
   * A request another node sent over a cluster peer link, under the tunnel's id `id`: the worker
   * it chose and the caller's tenant, which only the nodes read, are left out.
   */
  forRelay(id: number, frame: RequestFrame): OutgoingFrame {
    const { worker: _chosen, tenant: _tenant, body, bodyText, ...rest } = frame;
    const model = typeof body.model === "string" ? body.model : undefined;
    const plain = bodyText !== undefined && !rest.method && !rest.headers && !rest.query && !rest.tracestate;
    const binary = plain && this.binary({ ...rest, id, model }, bodyText);
    if (binary) return binary;
    if (bodyText === undefined || this.peer.bodyText)
      return encodeFrame({ ...rest, id: String(id), body, bodyText });
    // An older worker takes the body parsed (the text is the client's JSON, already checked).
    return encodeFrame({ ...rest, id: String(id), body: JSON.parse(bodyText) as Record<string, unknown> });
  }

  /**
   * The common request as a binary frame, its body's bytes never escaped into JSON: only to a
   * worker that reads them, over a transport that sends them. Undefined otherwise, or when its
   * texts do not fit one.
   */
  private binary(
    request: PlainRequest,
    body: string | Uint8Array,
  ): Uint8Array<ArrayBuffer> | QueuedRequest | undefined {
    if (!this.peer.binary) return undefined;
    // The client's bytes are copied once, into the message, where the writer writes it.
    return typeof body === "string" ? encodeRequestFrame(request, body) : queuedRequest(request, body);
  }
}
