import { bytesWithout } from "../../core/credentials.ts";
import { retryHeaders } from "../../providers/http/retry-headers.ts";
import type { BodyRead, ByteFeed, StreamedAnswer } from "../../providers/http/streamed-answer.ts";
import type { WholeAnswer } from "../../providers/http/whole-answer.ts";
import type { WorkerHop } from "../../telemetry/tracing/worker-hop.ts";
import type { RequestFrame, RetryRest } from "../protocol.ts";
import { bytesAtMost } from "./bounded-body.ts";
import type { StreamCredit } from "./stream-credit.ts";
import type { HeadFrame, UpstreamCallContext } from "./upstream-call.ts";

/**
 * The worker's side of an answer: what the upstream client handed back (a whole body, a byte
 * feed, a `Response`) relayed to the gateway as frames, as credit allows (upstream-call.ts makes
 * the call).
 */
/** The body's declared length is within `bytes`, and it is what reading it will give (not encoded). */
function wholeWithin(response: Response, bytes: number): boolean {
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  return length >= 0 && length <= bytes && !response.headers.has("content-encoding");
}

/**
 * An upstream's error body without the worker's `--upstream-key`, which some servers quote
 * ("Invalid request for key …"): it would reach the gateway's callers and logs, which do not know
 * it. The very bytes when it is not there.
 */
const withoutKey = (ctx: UpstreamCallContext, body: Uint8Array): Uint8Array =>
  ctx.apiKey === undefined ? body : bytesWithout(body, ctx.apiKey);

/** A stream's first read, taken before the relay's loop (`readInHand`). */
type FirstRead = BodyRead | Promise<BodyRead>;
/** A stream's first read and the one after it, both taken before the relay's loop. */
type TwoReads = [BodyRead, FirstRead];

const EMPTY = new Uint8Array(0);

const isFeed = (answer: WholeAnswer | StreamedAnswer): answer is StreamedAnswer =>
  !(answer.body instanceof Uint8Array);

/** The content type a feed's head frame carries: the client feeds only event streams. */
const EVENT_STREAM = "text/event-stream";

const headFrame = (
  id: string,
  status: number,
  contentType: string,
  retryAfter: string | undefined,
  retry?: RetryRest,
): HeadFrame => {
  const head: HeadFrame = retryAfter
    ? { type: "head", id, status, contentType, retryAfter: retryAfter.slice(0, 64) }
    : { type: "head", id, status, contentType };
  if (retry) head.retry = retry;
  return head;
};

/**
 * What a failure's upstream said of when, or whether, to try again, read as a direct route reads it
 * (retry-headers.ts: a 429's rate-limit reset said as `Retry-After` and `retry-after-ms` too): its
 * `Retry-After`, and the rest for the head frame's `retry` (undefined when none), bounded as the
 * protocol takes them.
 */
function failureRetry(answer: Response): { retryAfter: string | undefined; retry: RetryRest | undefined } {
  const said = retryHeaders(answer.status, answer.headers);
  const ms = said["retry-after-ms"];
  const should = said["x-should-retry"];
  const retry: RetryRest | undefined =
    ms === undefined && should === undefined
      ? undefined
      : {
          ...(ms === undefined ? {} : { "retry-after-ms": ms.slice(0, 64) }),
          ...(should === undefined ? {} : { "x-should-retry": should.slice(0, 16) }),
        };
  return { retryAfter: said["retry-after"], retry };
}

/** Relays an answer; undefined where it was sent at once (no promise, no turn). */
export function relayAnswer(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  answer: Response | WholeAnswer | StreamedAnswer,
): Promise<void> | undefined {
  if (answer instanceof Response) return relayResponse(request, ctx, call, hop, answer);
  if (!isFeed(answer)) {
    const { status, contentType, retryAfter, body } = answer;
    const told = status >= 400 ? withoutKey(ctx, body) : body;
    return relayWhole(request, ctx, call, hop, status, contentType, retryAfter, told);
  }
  // What the client hands as a feed is a successful event stream it did not decode.
  const inHand = readInHand(answer, request.window);
  // No object around a stream that came whole: its head's fields go as they are.
  if (inHand instanceof Uint8Array)
    return relayWhole(request, ctx, call, hop, answer.status, EVENT_STREAM, undefined, inHand);
  return relayStream(
    ctx,
    call,
    hop,
    headFrame(request.id, answer.status, EVENT_STREAM, undefined),
    answer.body,
    inHand,
  );
}

/** An answer the client handed as a `Response` (`fetch`'s, or the lean client's fallback). */
async function relayResponse(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  answer: Response,
): Promise<void> {
  const contentType = answer.headers.get("content-type") ?? "";
  const { retryAfter, retry } =
    answer.status >= 400
      ? failureRetry(answer)
      : { retryAfter: answer.headers.get("retry-after") ?? undefined, retry: undefined };
  // A small answer of declared length is read in one call (no reader, no read per piece): the
  // window holds it, so credit would not have held any of it back. A refusal is read whole, to
  // leave the key out of it, up to a megabyte (bounded-body.ts): past it, it is cut.
  const refused = answer.status >= 400 && ctx.apiKey !== undefined;
  if (refused || (!request.stream && wholeWithin(answer, request.window))) {
    const body = refused ? withoutKey(ctx, await bytesAtMost(answer)) : await answer.bytes();
    await relayWhole(request, ctx, call, hop, answer.status, contentType, retryAfter, body, retry);
  } else {
    const head = headFrame(request.id, answer.status, contentType, retryAfter, retry);
    await relayStream(ctx, call, hop, head, answer.body?.getReader());
  }
}

/**
 * What a stream's feed holds already, read with no wait: its whole body when the first read holds
 * all of it (a short stream that came in one read with its head), which can then go in one answer
 * frame; else the reads taken, for the relay to go on from (no object around a lone read). All of
 * it is all the length the head declared; with none declared (a chunked stream), the feed's next
 * read says at once whether the body ended there, as the gateway's byte relay asks once the end
 * marker went by (routing/byte-relay.ts): an upstream that wrote its whole stream at once then
 * costs one frame a side, not a head, a chunk and an end. Nothing waits here, so no byte reaches
 * the gateway later than it would have; the second read is taken only within the first credit.
 */
function readInHand(answer: StreamedAnswer, window: number): Uint8Array | FirstRead | TwoReads {
  const first = answer.body.readMany();
  if (first instanceof Promise) return first;
  if (first.done) return EMPTY;
  if (first.size !== answer.length) {
    if (answer.length !== -1 || first.size >= window) return first;
    const next = answer.body.readMany();
    // Observed now: a call cancelled before the relay comes to it must not leave it unhandled.
    if (next instanceof Promise) next.catch(() => {});
    if (next instanceof Promise || !next.done) return [first, next];
  }
  const [only] = first.value;
  return first.value.length === 1 && only ? only : Buffer.concat(first.value, first.size);
}

/**
 * An answer read whole: in one frame where the gateway reads them and the window holds it (a
 * non-stream answer is only handed on once whole anyway), else head, chunks and end. Sent at
 * once in the common case (no promise: undefined); a promise only where its pieces wait for credit.
 */
function relayWhole(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  status: number,
  contentType: string | undefined,
  retryAfter: string | undefined,
  body: Uint8Array,
  /** A failure's other retry headers: only a JSON head frame carries them (not a whole answer's). */
  retry?: RetryRest,
): Promise<void> | undefined {
  if (call.cancelled) return;
  const size = body.byteLength;
  const inOne = size <= request.window && size <= ctx.maxChunkBytes;
  // The head as a frame object only where the frames go one by one.
  if (inOne && retry === undefined && ctx.sendWhole(call.key, status, contentType, retryAfter, body, hop))
    return;
  const head = headFrame(request.id, status, contentType ?? "", retryAfter, retry);
  return relayPieces(ctx, call, hop, head, body);
}

/** Head, the bytes in chunk frames as credit allows, and end. */
async function relayPieces(
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  head: HeadFrame,
  bytes: Uint8Array,
): Promise<void> {
  ctx.send(head, hop);
  if (await emit(ctx, call, bytes)) ctx.send({ type: "end", id: head.id }, hop);
}

/**
 * An answer read as it comes, a read only while there is credit: from a `Response` body's
 * reader, or the lean client's feed (no stream object), each read taking all it holds. `started`:
 * the read or two `readInHand` took from the feed already.
 */
async function relayStream(
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  head: HeadFrame,
  body: ByteFeed | undefined,
  started?: FirstRead | TwoReads,
): Promise<void> {
  ctx.send(head, hop);
  try {
    // The first reads may be taken already (readInHand): at the start the window's credit allows them.
    let next = Array.isArray(started) ? started[0] : started;
    let after = Array.isArray(started) ? started[1] : undefined;
    while (body) {
      if (next === undefined) {
        if (!call.hasCredit) await call.ready();
        if (call.cancelled) return;
      }
      // Awaited only where it waits (a read in hand costs no turn), as the pieces' sends are.
      const pending = next ?? body.readMany();
      const read = pending instanceof Promise ? await pending : pending;
      next = after;
      after = undefined;
      if (read.done) break;
      for (const piece of read.value) {
        const sent = emit(ctx, call, piece);
        if (!(sent instanceof Promise ? await sent : sent)) return;
      }
    }
    ctx.send({ type: "end", id: head.id }, hop);
  } finally {
    if (call.cancelled) await body?.cancel().catch(() => {});
  }
}

/**
 * Sends bytes (from `at`) in chunk frames. One read can return far more than the window (the
 * runtime buffers the socket), so credit gates every piece sent, not only the next read. False
 * once the call is cancelled. Sent at once while there is credit: no promise and no async frame a
 * piece (a paced stream sends a piece a token); a promise only from where it must wait.
 */
function emit(
  ctx: UpstreamCallContext,
  call: StreamCredit,
  bytes: Uint8Array,
  at = 0,
): boolean | Promise<boolean> {
  const max = ctx.maxChunkBytes;
  for (; at < bytes.byteLength; at += max) {
    if (call.cancelled) return false;
    if (!call.hasCredit) return emitWhenReady(ctx, call, bytes, at);
    // A read that fits one frame (a paced stream's token, most reads) goes as it is: no view of it.
    const piece = at === 0 && bytes.byteLength <= max ? bytes : bytes.subarray(at, at + max);
    ctx.sendChunk(call.key, piece);
    call.take(piece.byteLength);
  }
  return true;
}

/** The rest of `emit`'s bytes, from `at`, once there is credit again or the call was cancelled. */
async function emitWhenReady(
  ctx: UpstreamCallContext,
  call: StreamCredit,
  bytes: Uint8Array,
  at: number,
): Promise<boolean> {
  await call.ready();
  return emit(ctx, call, bytes, at);
}
