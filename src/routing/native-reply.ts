import type { ChunkSource } from "../core/chunk-source.ts";
import { type Dialect, isJsonObject, type JsonObject, type Operation } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { holdsNoAnswer } from "../core/holds-no-answer.ts";
import type { SseEvent } from "../core/sse.ts";
import { readBounded, readErrorText } from "../providers/http/read-bounded.ts";
import {
  closedMidBody,
  noAnswer,
  notJson,
  notJsonObject,
  wholeBody,
  wholeForStream,
} from "../providers/http/read-reply.ts";
import { isEventStream, streamForWhole } from "../providers/http/stream-for-whole.ts";
import type { ByteFeed, StreamedAnswer } from "../providers/http/streamed-answer.ts";
import { errorInAnswer, upstreamFailure } from "../providers/http/upstream-failure.ts";
import type { WholeAnswer as WholeBytes } from "../providers/http/whole-answer.ts";
import { withBase64Embeddings } from "../translate/base64-embeddings.ts";
import type { Attempt } from "./attempt.ts";
import { ByteRelay, type ByteRelayOptions } from "./byte-relay.ts";
import { IN_BODY, saidPreviousId, withPreviousId } from "./previous-response-id.ts";
import type { READ_ON, ReadStep } from "./stepped-reads.ts";

const text = new TextDecoder();

/** An answer as the front door writes it. */
export type ClientReply =
  /** A translated (or provider-built) JSON body, serialised by the front door. */
  | { readonly kind: "json"; readonly body: JsonObject }
  /** A same-dialect upstream's body, relayed byte for byte with its status and content type. */
  | {
      readonly kind: "bytes";
      readonly status: number;
      readonly contentType: string;
      readonly body: Uint8Array<ArrayBuffer>;
      /** The body as the gateway parsed it once (for usage): read this rather than parse again. */
      readonly parsed?: JsonObject;
    }
  | {
      readonly kind: "stream";
      readonly chunks: ChunkSource;
      /** The events this stream ends with when it fails once started, when not the dialect's usual. */
      readonly failureEvents?: (error: GatewayError) => SseEvent[];
    };

/**
 * What the read needs of its attempt, called as methods; also the relay's options (a stream is
 * handed the context itself). The router's attempt is one (routing/route-attempt.ts).
 */
export interface NativeReplyContext extends ByteRelayOptions {
  /** The upstream's dialect, which is the caller's: its failures are a same-dialect caller's. */
  readonly dialect: Dialect;
  /** What the call asks the upstream: a whole answer with no answer to it in is its failure. */
  readonly operation: Operation;
  readonly attempt: Attempt;
  readonly stream: boolean;
  /** `routing.max_upstream_body`: the most a whole answer may be (a 502 above it). */
  readonly maxBody: number;
  /**
   * The caller asked `encoding_format: "base64"` embeddings: vectors the upstream answered as
   * number arrays all the same are re-encoded (translate/base64-embeddings.ts).
   */
  readonly base64Embeddings?: boolean;
  /** Sees a whole (non-stream) answer, parsed: a native Responses answer is stored. */
  onBody(body: JsonObject): void;
}

/**
 * Reads a same-dialect upstream's answer as far as the router must before committing to it: an
 * error status becomes a GatewayError that keeps the upstream's error (its body reaches a
 * same-dialect caller as sent; retried or failed over like any other when retryable); a stream is relayed as bytes once its first
 * event is in; a whole body is read once, parsed once for its usage, and relayed as received.
 * A reply already in hand (the lean client's whole answer, a stream whose first event came with
 * its head) is returned as it is, and what is wrong with it thrown: no promise, no turn for the
 * router's await; a reply still to be read is a promise. `onward`: called from the arrival of the
 * attempt's read of the answer itself, whose promise the body's read then settles
 * (`Attempt.readOn`: `READ_ON` is handed back).
 */
export function readNativeReply(
  answer: Response | StreamedAnswer | WholeBytes,
  context: NativeReplyContext,
): ClientReply | Promise<ClientReply>;
export function readNativeReply(
  answer: Response | StreamedAnswer | WholeBytes,
  context: NativeReplyContext,
  onward: true,
): ClientReply | Promise<ClientReply> | typeof READ_ON;
export function readNativeReply(
  answer: Response | StreamedAnswer | WholeBytes,
  context: NativeReplyContext,
  onward = false,
): ClientReply | Promise<ClientReply> | typeof READ_ON {
  if (!(answer instanceof Response)) {
    // The lean client's whole answer, its bytes in hand; or its successful event stream, its
    // bytes as the socket reads them.
    if (answer.body instanceof Uint8Array) return wholeReply(answer as WholeBytes, context);
    return relayedReply(answer.body, (answer as StreamedAnswer).length, context);
  }
  const response = answer;
  if (!response.ok) return failedReply(response, context);
  const contentType = response.headers.get("content-type") ?? "application/json";
  if (context.stream && contentType.includes("text/event-stream") && response.body)
    return relayedReply(response.body.getReader(), declaredLength(response), context);
  // The common answer: read, parsed and checked as the read settles (no async frame).
  const body = readBounded(response, context.maxBody, context.provider, "refuse");
  const step = new WholeAnswer(context, response.status, contentType);
  return onward ? context.attempt.readOn(body, step) : context.attempt.readThen(body, step);
}

async function failedReply(response: Response, context: NativeReplyContext): Promise<never> {
  const { attempt, provider } = context;
  const text = await attempt.read(readErrorText(response, provider)).catch(() => "");
  throw upstreamFailure(
    provider,
    { status: response.status, headers: response.headers, text },
    context.dialect,
  );
}

/**
 * A stream, relayed as bytes once its first event is in (the relay is the answer it resolves with;
 * it arms the first-byte bound when that event is still to come). A declared length (-1: none)
 * tells the relay where the body ends without reading its end.
 */
function relayedReply(
  body: ByteFeed,
  declared: number,
  context: NativeReplyContext,
): ClientReply | Promise<ClientReply> {
  return new ByteRelay(body, context.attempt, context, declared).start();
}

/** A response's declared body length, -1 when none, or when the body is decoded on the way (the length is then the encoded one's). */
function declaredLength(response: Response): number {
  const length = response.headers.get("content-encoding") ? null : response.headers.get("content-length");
  const declared = length === null ? -1 : Number(length);
  return Number.isSafeInteger(declared) ? declared : -1;
}

/** A whole answer handed over as bytes (no `Response`): checked and read as `readBounded`'s body would be. */
function wholeReply(answer: WholeBytes, context: NativeReplyContext): ClientReply {
  const body = wholeBody(context.provider, answer, context.maxBody, context.dialect);
  // Checked here and now: no read step object for a body already in hand.
  return checkedAnswer(context, answer.status, answer.contentType ?? "application/json", body);
}

/** A whole answer's body, parsed once, checked for an error in it, and relayed as received. */
function checkedAnswer(
  context: NativeReplyContext,
  status: number,
  contentType: string,
  body: Uint8Array<ArrayBuffer>,
): ClientReply {
  const provider = context.provider;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.decode(body));
  } catch {
    throw isEventStream(contentType) ? streamForWhole(provider, body) : notJson(provider);
  }
  if (!isJsonObject(parsed)) throw notJsonObject(provider);
  const failed = errorInAnswer(provider, parsed);
  if (failed) throw failed;
  if (context.stream) throw wholeForStream(provider, contentType);
  if (holdsNoAnswer(context.operation, parsed)) throw noAnswer(provider);
  context.done();
  // A chain the gateway expanded: the answer names the response it continues all the same, its
  // bytes where the response's own key says null (never a nested one's), and so its parse.
  let relayed = body;
  const previousId = context.previousId;
  if (previousId !== undefined && parsed.previous_response_id === null) {
    const said = withPreviousId(body, saidPreviousId(previousId), IN_BODY);
    if (said) {
      relayed = said;
      parsed.previous_response_id = previousId;
    }
  }
  // An embeddings server that ignored `encoding_format: "base64"`: the SDKs, which ask for it
  // unasked, would read its floats as bytes. An answer in base64 goes on byte for byte.
  const encoded = context.base64Embeddings ? withBase64Embeddings(parsed) : undefined;
  const answer = encoded ?? parsed;
  if (encoded) relayed = new TextEncoder().encode(JSON.stringify(encoded));
  context.onBody(answer);
  // Its usage is read off `parsed` by the caller: no answer object around the reply. Said to be
  // JSON, which it is: a server that labels it `text/plain` (a Worker's `new Response(json)`)
  // would have the SDKs hand the caller a string.
  return { kind: "bytes", status, contentType: jsonType(contentType), body: relayed, parsed: answer };
}

/** JSON's own media types: `application/json` and any `+json`, with or without parameters. */
const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

/** A parsed answer's content type: the upstream's when it says JSON, else `application/json`. */
const jsonType = (contentType: string): string =>
  contentType === "application/json" || JSON_TYPE.test(contentType) ? contentType : "application/json";

/** A whole answer read from a `Response`: checked once its body is in (`checkedAnswer`). */
class WholeAnswer implements ReadStep<Uint8Array<ArrayBuffer>, ClientReply> {
  constructor(
    private readonly context: NativeReplyContext,
    private readonly status: number,
    private readonly contentType: string,
  ) {}

  arrived(body: Uint8Array<ArrayBuffer>): ClientReply {
    return checkedAnswer(this.context, this.status, this.contentType, body);
  }

  failed(error: unknown): unknown {
    return this.context.attempt.failure(error, closedMidBody(this.context.provider));
  }
}
