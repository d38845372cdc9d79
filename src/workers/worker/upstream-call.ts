import { DIALECT_HEADERS } from "../../core/dialect.ts";
import type { LeanInit } from "../../providers/http/call-cancel.ts";
import type {
  BodyRead,
  ByteFeed,
  StreamedAnswer,
  StreamFunction,
} from "../../providers/http/streamed-answer.ts";
import type { AnswerFunction, WholeAnswer } from "../../providers/http/whole-answer.ts";
import type { WorkerHop } from "../../telemetry/tracing/worker-hop.ts";
import { CHUNK_HEADER_BYTES } from "../chunk-frame.ts";
import { type GatewayFrame, MAX_CHUNK_BYTES, type WorkerFrame } from "../protocol.ts";
import type { StreamCredit } from "./stream-credit.ts";

type RequestFrame = Extract<GatewayFrame, { type: "request" }>;
export type HeadFrame = Extract<WorkerFrame, { type: "head" }>;

/**
 * What a worker session gives its tunnelled calls: one object for the session, not one a call
 * (a call's own state is its `StreamCredit` and its `WorkerHop`).
 */
export interface UpstreamCallContext {
  /** Upstream base URL including /v1, from the worker's own flags only. */
  readonly base: string;
  readonly apiKey?: string;
  /** Sends a frame of a call's answer; `hop` sees it (its status, an error's code). */
  send(frame: WorkerFrame, hop: WorkerHop): void;
  /**
   * Sends a whole answer in one frame (head, body, end: answer-frame.ts); false where the
   * gateway does not read them or this one does not fit (the frames then go one by one).
   */
  sendWhole(head: HeadFrame, body: Uint8Array, hop: WorkerHop): boolean;
  /** Sends a piece of the body in a chunk frame (chunk-frame.ts). */
  sendChunk(id: number, bytes: Uint8Array): void;
  /** Largest body piece per chunk frame, so that the frame fits the gateway's limit (set at registration). */
  maxChunkBytes: number;
  /** The upstream client: a body whole with its head comes as bytes (no `Response`: whole-answer.ts). */
  readonly fetch: AnswerFunction;
  /** The same for a stream: a successful event stream comes as a byte feed (streamed-answer.ts). */
  readonly stream: StreamFunction;
}

/** The chunk size that keeps every binary frame, header included, under the gateway's limit. */
export const chunkBytesFor = (maxMessageBytes: number) =>
  Math.max(256, Math.min(MAX_CHUNK_BYTES, maxMessageBytes - CHUNK_HEADER_BYTES));

/**
 * The client's dialect headers the gateway sent along, as a provider would send them: only the
 * allow-listed names (a worker's upstream speaks OpenAI, but the list is the gateway's one),
 * never over the worker's own content type, credentials or request id.
 */
function passedHeaders(sent: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!sent) return out;
  for (const name of [...DIALECT_HEADERS.openai, ...DIALECT_HEADERS.anthropic]) {
    const value = sent[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The body's declared length is within `bytes`, and it is what reading it will give (not encoded). */
function wholeWithin(response: Response, bytes: number): boolean {
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  return length >= 0 && length <= bytes && !response.headers.has("content-encoding");
}

/** A stream's first read, taken before the relay's loop (`readInHand`). */
interface Started {
  first: BodyRead | Promise<BodyRead>;
}

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
): HeadFrame =>
  retryAfter
    ? { type: "head", id, status, contentType, retryAfter: retryAfter.slice(0, 64) }
    : { type: "head", id, status, contentType };

/**
 * Runs one tunnelled request against the upstream and streams its answer back: a `head`
 * frame, then the body's bytes as read, in binary chunk frames, then `end` (a small whole answer
 * in one frame where the gateway reads them). `body`: the client's bytes from a binary request
 * frame (request-frame.ts), sent upstream as they are.
 */
export async function callUpstream(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  body?: Uint8Array<ArrayBuffer>,
): Promise<void> {
  const { id } = request;
  const method = request.method ?? "POST";
  // Set one by one, not spread together: a call's headers are built for every request.
  const headers = passedHeaders(request.headers);
  if (method === "POST") headers["content-type"] = "application/json";
  headers["x-request-id"] = request.requestId;
  const trace = hop.headers;
  if (trace) for (const name in trace) headers[name] = trace[name] as string;
  if (ctx.apiKey) headers.authorization = `Bearer ${ctx.apiKey}`;
  // The body set on the init, not spread into it: an init is built for every call. The call is
  // its own cancel hook (no signal a call: call-cancel.ts).
  const init: LeanInit = { method, headers, cancel: call };
  if (method === "POST") init.body = body ?? request.bodyText ?? JSON.stringify(request.body);
  let answer: Response | WholeAnswer | StreamedAnswer;
  try {
    answer = await (request.stream ? ctx.stream : ctx.fetch)(
      ctx.base + request.path + (request.query ?? ""),
      init,
    );
  } catch {
    if (!call.cancelled)
      ctx.send(
        { type: "error", id, code: "upstream_unreachable", message: "could not reach the upstream" },
        hop,
      );
    return;
  }
  try {
    if (!(answer instanceof Response)) {
      if (isFeed(answer)) {
        // What the client hands as a feed is a successful event stream it did not decode.
        const head = headFrame(id, answer.status, EVENT_STREAM, undefined);
        const inHand = readInHand(answer);
        if ("whole" in inHand) await relayWhole(request, ctx, call, hop, head, inHand.whole);
        else await relayStream(ctx, call, hop, head, answer.body, inHand);
        return;
      }
      const head = headFrame(id, answer.status, answer.contentType ?? "", answer.retryAfter);
      await relayWhole(request, ctx, call, hop, head, answer.body);
      return;
    }
    const head = headFrame(
      id,
      answer.status,
      answer.headers.get("content-type") ?? "",
      answer.headers.get("retry-after") ?? undefined,
    );
    // A small answer of declared length is read in one call (no reader, no read per piece): the
    // window holds it, so credit would not have held any of it back.
    if (!request.stream && wholeWithin(answer, request.window))
      await relayWhole(request, ctx, call, hop, head, await answer.bytes());
    else await relayStream(ctx, call, hop, head, answer.body?.getReader());
  } catch {
    if (!call.cancelled)
      ctx.send(
        { type: "error", id, code: "upstream_broken", message: "the upstream broke off its answer" },
        hop,
      );
  }
}

/**
 * What a stream's feed holds already, read with no wait: its whole body when the first read
 * holds all the length its head declared (a short stream that came in one read with its head),
 * which can then go in one answer frame; else that read, for the relay to go on from. Nothing
 * waits here, so no byte reaches the gateway later than it would have.
 */
function readInHand(answer: StreamedAnswer): { whole: Uint8Array } | Started {
  const first = answer.body.readMany();
  if (first instanceof Promise) return { first };
  if (first.done) return { whole: EMPTY };
  if (first.size !== answer.length) return { first };
  const [only] = first.value;
  return { whole: first.value.length === 1 && only ? only : Buffer.concat(first.value, first.size) };
}

/**
 * An answer read whole: in one frame where the gateway reads them and the window holds it (a
 * non-stream answer is only handed on once whole anyway), else head, chunks and end.
 */
async function relayWhole(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  head: HeadFrame,
  bytes: Uint8Array,
): Promise<void> {
  if (call.cancelled) return;
  const size = bytes.byteLength;
  const inOne = size <= request.window && size <= ctx.maxChunkBytes;
  if (inOne && ctx.sendWhole(head, bytes, hop)) return;
  ctx.send(head, hop);
  if (await emit(ctx, call, head.id, bytes)) ctx.send({ type: "end", id: head.id }, hop);
}

/**
 * An answer read as it comes, a read only while there is credit: from a `Response` body's
 * reader, or the lean client's feed (no stream object), each read taking all it holds. `started`:
 * the read `readInHand` took from the feed already.
 */
async function relayStream(
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  head: HeadFrame,
  body: ByteFeed | undefined,
  started?: Started,
): Promise<void> {
  ctx.send(head, hop);
  try {
    // The first read may be taken already (readInHand): at the start the window's credit allows it.
    let next = started?.first;
    while (body) {
      if (next === undefined) {
        if (!call.hasCredit) await call.ready();
        if (call.cancelled) return;
      }
      const read = await (next ?? body.readMany());
      next = undefined;
      if (read.done) break;
      for (const piece of read.value) if (!(await emit(ctx, call, head.id, piece))) return;
    }
    ctx.send({ type: "end", id: head.id }, hop);
  } finally {
    if (call.cancelled) await body?.cancel().catch(() => {});
  }
}

/**
 * Sends bytes in chunk frames. One read can return far more than the window (the runtime
 * buffers the socket), so credit gates every piece sent, not only the next read. False once the
 * call is cancelled.
 */
async function emit(
  ctx: UpstreamCallContext,
  call: StreamCredit,
  id: string,
  bytes: Uint8Array,
): Promise<boolean> {
  const wireId = Number(id);
  for (let at = 0; at < bytes.byteLength; at += ctx.maxChunkBytes) {
    if (!call.hasCredit) await call.ready();
    if (call.cancelled) return false;
    const piece = bytes.subarray(at, at + ctx.maxChunkBytes);
    ctx.sendChunk(wireId, piece);
    call.take(piece.byteLength);
  }
  return true;
}
