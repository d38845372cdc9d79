import { type GatewayFrame, MAX_CHUNK_BYTES, type WorkerFrame } from "../protocol.ts";
import type { StreamCredit } from "./stream-credit.ts";

type RequestFrame = Extract<GatewayFrame, { type: "request" }>;

export interface UpstreamCallContext {
  /** Upstream base URL including /v1, from the worker's own flags only. */
  base: string;
  apiKey?: string;
  send(frame: WorkerFrame): void;
  /** Aborted by a cancel frame, a lost connection or a forced stop. */
  signal: AbortSignal;
  credit: StreamCredit;
  /** Largest body text per chunk frame, so that the encoded frame fits the gateway's limit. */
  maxChunkBytes: number;
  /** The upstream `fetch` (no hidden cap on requests at once; see providers/http/upstream-fetch.ts). */
  fetch: typeof fetch;
}

/**
 * The chunk size that keeps every frame under the gateway's message limit: JSON escaping can
 * grow text up to six times (`\u00XX` for control characters), plus the frame's envelope.
 */
export const chunkBytesFor = (maxMessageBytes: number) =>
  Math.max(256, Math.min(MAX_CHUNK_BYTES, Math.floor((maxMessageBytes - 256) / 6)));

/** Splits text into pieces of at most MAX_CHUNK_BYTES UTF-8 bytes without cutting a surrogate pair. */
export function splitChunk(text: string, maxBytes = MAX_CHUNK_BYTES): string[] {
  if (text === "") return [];
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so this many units always fit.
  const step = Math.max(2, Math.floor(maxBytes / 3));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + step);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/**
 * Runs one tunnelled request against the upstream and streams its answer back as frames.
 * The body travels as UTF-8 text (the APIs served are JSON and SSE); a streaming decoder
 * carries a character split across reads into the next chunk.
 */
export async function callUpstream(request: RequestFrame, ctx: UpstreamCallContext): Promise<void> {
  const { id } = request;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-request-id": request.requestId,
  };
  if (ctx.apiKey) headers.authorization = `Bearer ${ctx.apiKey}`;
  let response: Response;
  try {
    response = await ctx.fetch(ctx.base + request.path, {
      method: "POST",
      headers,
      body: JSON.stringify(request.body),
      signal: ctx.signal,
    });
  } catch {
    if (!ctx.signal.aborted)
      ctx.send({ type: "error", id, code: "upstream_unreachable", message: "could not reach the upstream" });
    return;
  }
  ctx.send({
    type: "head",
    id,
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
  });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  // One read can return far more than the window (the runtime buffers the socket), so
  // credit gates every piece sent, not only the next read.
  const emit = async (text: string): Promise<boolean> => {
    for (const data of splitChunk(text, ctx.maxChunkBytes)) {
      await ctx.credit.ready(ctx.signal);
      if (ctx.signal.aborted) return false;
      ctx.send({ type: "chunk", id, data });
      ctx.credit.take(Buffer.byteLength(data));
    }
    return true;
  };
  try {
    while (reader) {
      await ctx.credit.ready(ctx.signal);
      if (ctx.signal.aborted) return;
      const { done, value } = await reader.read();
      if (done) break;
      if (!(await emit(decoder.decode(value, { stream: true })))) return;
    }
    if (!(await emit(decoder.decode()))) return;
    ctx.send({ type: "end", id });
  } catch {
    if (!ctx.signal.aborted)
      ctx.send({ type: "error", id, code: "upstream_broken", message: "the upstream broke off its answer" });
  } finally {
    if (ctx.signal.aborted) await reader?.cancel().catch(() => {});
  }
}
