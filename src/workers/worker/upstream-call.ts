import { DIALECT_HEADERS } from "../../core/dialect.ts";
import { CHUNK_HEADER_BYTES } from "../chunk-frame.ts";
import { type GatewayFrame, MAX_CHUNK_BYTES, type WorkerFrame } from "../protocol.ts";
import type { StreamCredit } from "./stream-credit.ts";

type RequestFrame = Extract<GatewayFrame, { type: "request" }>;

export interface UpstreamCallContext {
  /** Upstream base URL including /v1, from the worker's own flags only. */
  base: string;
  apiKey?: string;
  send(frame: WorkerFrame): void;
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
 * frame, then the body's bytes as read, in binary chunk frames, then `end`.
 */
export async function callUpstream(request: RequestFrame, ctx: UpstreamCallContext): Promise<void> {
  const { id } = request;
  const wireId = Number(id);
  const method = request.method ?? "POST";
  const headers: Record<string, string> = {
    ...passedHeaders(request.headers),
    ...(method === "POST" ? { "content-type": "application/json" } : {}),
    "x-request-id": request.requestId,
    ...ctx.traceHeaders,
  };
  if (ctx.apiKey) headers.authorization = `Bearer ${ctx.apiKey}`;
  let response: Response;
  try {
    response = await ctx.fetch(ctx.base + request.path + (request.query ?? ""), {
      method,
      headers,
      ...(method === "POST" ? { body: request.bodyText ?? JSON.stringify(request.body) } : {}),
      signal: ctx.signal,
    });
  } catch {
    if (!ctx.signal.aborted)
      ctx.send({ type: "error", id, code: "upstream_unreachable", message: "could not reach the upstream" });
    return;
  }
  const retryAfter = response.headers.get("retry-after")?.slice(0, 64);
  ctx.send({
    type: "head",
    id,
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    ...(retryAfter ? { retryAfter } : {}),
  });
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
  // A small answer of declared length is read in one call (no reader, no read per piece): the
  // window holds it, so credit would not have held any of it back.
  const whole = !request.stream && wholeWithin(response, request.window);
  const reader = whole ? undefined : response.body?.getReader();
  try {
    if (whole) {
      if (!(await emit(await response.bytes()))) return;
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
