import { DIALECT_HEADERS } from "../../core/dialect.ts";
import { withWhy } from "../../core/why-unreachable.ts";
import type { LeanInit } from "../../providers/http/call-cancel.ts";
import type { StreamedAnswer, StreamFunction } from "../../providers/http/streamed-answer.ts";
import type { AnswerFunction, WholeAnswer } from "../../providers/http/whole-answer.ts";
import type { WorkerHop } from "../../telemetry/tracing/worker-hop.ts";
import { CHUNK_HEADER_BYTES } from "../chunk-frame.ts";
import {
  MAX_CHUNK_BYTES,
  type RequestFrame,
  type TunnelErrorCode,
  UpstreamPath,
  type WorkerFrame,
} from "../protocol.ts";
import { relayAnswer } from "./answer-relay.ts";
import type { FailureLog } from "./failure-log.ts";
import type { StreamCredit } from "./stream-credit.ts";

export type HeadFrame = Extract<WorkerFrame, { type: "head" }>;

/**
 * Sends a call's whole answer: its head's fields one by one, not in an object (a stream that came
 * whole has none to hand), and its body.
 */
export type SendWhole = (
  id: number,
  status: number,
  contentType: string | undefined,
  retryAfter: string | undefined,
  body: Uint8Array,
  hop: WorkerHop,
) => boolean;

/**
 * What a worker session gives its tunnelled calls: one object for the session, not one a call
 * (a call's own state is its `StreamCredit` and its `WorkerHop`).
 */
export interface UpstreamCallContext {
  /** Upstream base URL including /v1, from the worker's own flags only. */
  readonly base: string;
  /**
   * The fixed paths' URLs on the upstream (`UpstreamPath`), each made once: the same string every
   * call, so the client's lookup of it by URL hashes nothing (a URL joined each call is a new
   * string to flatten and hash). A stored response's path is joined each call (`upstreamUrlOf`).
   */
  readonly urls: Map<string, string>;
  readonly apiKey?: string;
  /** Sends a frame of a call's answer; `hop` sees it (its status, an error's code). */
  send(frame: WorkerFrame, hop: WorkerHop): void;
  /**
   * Sends call `id`'s whole answer in one frame (head, body, end: answer-frame.ts); false where the
   * gateway does not read them or this one does not fit (the frames then go one by one).
   */
  readonly sendWhole: SendWhole;
  /** Sends a piece of the body in a chunk frame (chunk-frame.ts). */
  sendChunk(id: number, bytes: Uint8Array): void;
  /** Largest body piece per chunk frame, so that the frame fits the gateway's limit (set at registration). */
  maxChunkBytes: number;
  /** The upstream client: a body whole with its head comes as bytes (no `Response`: whole-answer.ts). */
  readonly fetch: AnswerFunction;
  /** The same for a stream: a successful event stream comes as a byte feed (streamed-answer.ts). */
  readonly stream: StreamFunction;
  /** A call is over (answered, failed or cancelled): once a call, after its last frame. */
  ended(call: StreamCredit, hop: WorkerHop): void;
  /** Where a call's failure is logged on the worker (rate-limited). */
  readonly failures: Pick<FailureLog, "failed">;
}

/** The error frames a call can end with (the others are the session's: draining, over capacity). */
type CallFailureCode = Extract<TunnelErrorCode, "upstream_unreachable" | "upstream_broken" | "internal">;

/** Each one's words; the worker's log line says the same. */
const FAILED: Record<CallFailureCode, string> = {
  upstream_unreachable: "could not reach the upstream",
  upstream_broken: "the upstream broke off its answer",
  internal: "worker failed",
};

/**
 * Ends a call with an error frame, and says so in the worker's own log. An upstream it could not
 * reach says why in the frame's message, as the gateway says its own upstreams' (`could not reach
 * the upstream: connection refused (ECONNREFUSED)`: a code and its class, never the host, which
 * the worker's log line names); a gateway of any release reads the message as text.
 */
function fail(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  hop: WorkerHop,
  code: CallFailureCode,
  error: unknown,
): void {
  const message = code === "upstream_unreachable" ? withWhy(FAILED[code], error) : FAILED[code];
  ctx.send({ type: "error", id: request.id, code, message }, hop);
  ctx.failures.failed({ code, message, requestId: request.requestId, path: request.path, error });
}

/** The chunk size that keeps every binary frame, header included, under the gateway's limit. */
export const chunkBytesFor = (maxMessageBytes: number) =>
  Math.max(256, Math.min(MAX_CHUNK_BYTES, maxMessageBytes - CHUNK_HEADER_BYTES));

/** The names `passedHeaders` passes on: made once, not spread into a new array each call. */
const PASSED_HEADERS: readonly string[] = [...DIALECT_HEADERS.openai, ...DIALECT_HEADERS.anthropic];

/**
 * The client's dialect headers the gateway sent along, as a provider would send them: only the
 * allow-listed names (a worker's upstream speaks OpenAI, but the list is the gateway's one),
 * never over the worker's own content type, credentials or request id.
 */
function passedHeaders(sent: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!sent) return out;
  for (const name of PASSED_HEADERS) {
    const value = sent[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Runs one tunnelled request against the upstream and streams its answer back: a `head`
 * frame, then the body's bytes as read, in binary chunk frames, then `end` (a small whole answer
 * in one frame where the gateway reads them); an error frame if the upstream cannot be reached
 * or breaks off, `internal` if the worker itself fails; then `ctx.ended`. Never rejects: the
 * session starts it and goes on, so a call is one async frame, not a second one awaiting it.
 * `body`: the client's bytes from a binary request frame (request-frame.ts), sent upstream as
 * they are.
 */
export async function callUpstream(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  body?: Uint8Array<ArrayBuffer>,
): Promise<void> {
  try {
    // Outside the next try: a request the worker cannot even make is its own failure.
    const asked = ask(request, ctx, call, hop, body);
    let answer: Response | WholeAnswer | StreamedAnswer;
    try {
      answer = await asked;
    } catch (error) {
      if (!call.cancelled) fail(request, ctx, hop, "upstream_unreachable", error);
      return;
    }
    try {
      // Awaited only where it waits: a whole answer sent at once costs no turn.
      const relaying = relayAnswer(request, ctx, call, hop, answer);
      if (relaying) await relaying;
    } catch (error) {
      if (!call.cancelled) fail(request, ctx, hop, "upstream_broken", error);
    }
  } catch (error) {
    fail(request, ctx, hop, "internal", error);
  } finally {
    ctx.ended(call, hop);
  }
}

/** The upstream call a request frame asks for: the client's promise, as it is. */
function ask(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  call: StreamCredit,
  hop: WorkerHop,
  body: Uint8Array<ArrayBuffer> | undefined,
): Promise<Response | WholeAnswer | StreamedAnswer> {
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
  const url = request.query ? ctx.base + request.path + request.query : upstreamUrlOf(ctx, request.path);
  return (request.stream ? ctx.stream : ctx.fetch)(url, init);
}

/** The protocol's fixed paths: the only ones whose URLs are kept. */
const FIXED_PATHS: ReadonlySet<string> = new Set(UpstreamPath.options);

/**
 * A path's URL on the upstream. Only a fixed path's is kept: a stored response's path names an
 * id (`/responses/{id}`), and keeping each would grow the map for the worker's whole life.
 */
export function upstreamUrlOf(ctx: Pick<UpstreamCallContext, "base" | "urls">, path: string): string {
  let url = ctx.urls.get(path);
  if (url === undefined) {
    url = ctx.base + path;
    if (FIXED_PATHS.has(path)) ctx.urls.set(path, url);
  }
  return url;
}
