import { DIALECT_HEADERS } from "../../core/dialect.ts";
import { CHUNK_HEADER_BYTES } from "../chunk-frame.ts";
import { type GatewayFrame, MAX_CHUNK_BYTES, type WorkerFrame } from "../protocol.ts";
import type { StreamCredit } from "./stream-credit.ts";

type RequestFrame = Extract<GatewayFrame, { type: "request" }>;
export type HeadFrame = Extract<WorkerFrame, { type: "head" }>;

export interface UpstreamCallContext {
  /** Upstream base URL including /v1, from the worker's own flags only. */
  base: string;
  apiKey?: string;
  send(frame: WorkerFrame): void;
  /**
   * Sends a whole answer in one frame (head, body, end: answer-frame.ts), where the gateway reads
   * them; false when this head does not fit one (the frames then go one by one).
   */
  sendWhole?(head: HeadFrame, body: Uint8Array): boolean;
  /** Sends a piece of the body in a chunk frame (chunk-frame.ts). */
  sendChunk(id: number, bytes: Uint8Array): void;
  /** Aborted by a cancel frame, a lost connection or a forced stop. */
  signal: AbortSignal;
  credit: StreamCredit;
  /** W3C trace context for the upstream (`traceparent`). */
  traceHeaders?: Readonly<Record<string, string>>;
  /** Largest body piece per chunk frame, so that the frame fits the gateway's limit. */
  maxChunkBytes: number;
  /** The upstream `fetch` (no hidden cap on requests at once; see providers/http/upstream-fetch.ts). */
  fetch: typeof fetch;
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

/**
 * Runs one tunnelled request against the upstream and streams its answer back: a `head`
 * frame, then the body's bytes as read, in binary chunk frames, then `end`. `body`: the
 * client's bytes from a binary request frame (request-frame.ts), sent upstream as they are.
 */
export async function callUpstream(
  request: RequestFrame,
  ctx: UpstreamCallContext,
  body?: Uint8Array<ArrayBuffer>,
): Promise<void> {
  const { id } = request;
  const wireId = Number(id);
  const method = request.method ?? "POST";
  // Set one by one, not spread together: a call's headers are built for every request.
  const headers = passedHeaders(request.headers);
  if (method === "POST") headers["content-type"] = "application/json";
  headers["x-request-id"] = request.requestId;
  const trace = ctx.traceHeaders;
  if (trace) for (const name in trace) headers[name] = trace[name] as string;
  if (ctx.apiKey) headers.authorization = `Bearer ${ctx.apiKey}`;
  let response: Response;
  try {
    response = await ctx.fetch(ctx.base + request.path + (request.query ?? ""), {
      method,
      headers,
      ...(method === "POST" ? { body: body ?? request.bodyText ?? JSON.stringify(request.body) } : {}),
      signal: ctx.signal,
    });
  } catch {
    if (!ctx.signal.aborted)
      ctx.send({ type: "error", id, code: "upstream_unreachable", message: "could not reach the upstream" });
    return;
  }
  const retryAfter = response.headers.get("retry-after")?.slice(0, 64);
  const head: HeadFrame = {
    type: "head",
    id,
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    ...(retryAfter ? { retryAfter } : {}),
  };
  // A small answer of declared length is read in one call (no reader, no read per piece): the
  // window holds it, so credit would not have held any of it back. Where the gateway reads
  // answer frames it goes in one (a non-stream answer is only handed on once whole anyway).
  const whole = !request.stream && wholeWithin(response, request.window);
  const inOne = whole && ctx.sendWhole !== undefined;
  if (!inOne) ctx.send(head);
  // One read can return far more than the window (the runtime buffers the socket), so
  // credit gates every piece sent, not only the next read.
  const emit = async (bytes: Uint8Array): Promise<boolean> => {
    for (let at = 0; at < bytes.byteLength; at += ctx.maxChunkBytes) {
      if (!ctx.credit.hasCredit) await ctx.credit.ready(ctx.signal);
      if (ctx.signal.aborted) return false;
      const piece = bytes.subarray(at, at + ctx.maxChunkBytes);
      ctx.sendChunk(wireId, piece);
      ctx.credit.take(piece.byteLength);
    }
    return true;
  };
  const reader = whole ? undefined : response.body?.getReader();
  try {
    if (whole) {
      const bytes = await response.bytes();
      if (inOne) {
        if (ctx.signal.aborted) return;
        if (bytes.byteLength <= ctx.maxChunkBytes && ctx.sendWhole?.(head, bytes)) return;
        ctx.send(head);
      }
      if (!(await emit(bytes))) return;
    }
    while (reader) {
      if (!ctx.credit.hasCredit) await ctx.credit.ready(ctx.signal);
      if (ctx.signal.aborted) return;
      const { done, value } = await reader.read();
      if (done) break;
      if (!(await emit(value))) return;
    }
    ctx.send({ type: "end", id });
  } catch {
    if (!ctx.signal.aborted)
      ctx.send({ type: "error", id, code: "upstream_broken", message: "the upstream broke off its answer" });
  } finally {
    if (ctx.signal.aborted) await reader?.cancel().catch(() => {});
  }
}
