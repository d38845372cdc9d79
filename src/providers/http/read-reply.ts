import { isJsonObject } from "../../core/dialect.ts";
import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import { DEFAULT_MAX_SSE_LINE, SseDecoder, type SseEvent } from "../../core/sse.ts";
import type { ProviderCall, ProviderReply } from "../provider.ts";
import { DEFAULT_MAX_UPSTREAM_BODY, readBounded, readErrorText } from "./read-bounded.ts";
import { errorInAnswer, upstreamFailure } from "./upstream-failure.ts";

/**
 * Turns an upstream's HTTP answer into a ProviderReply, in whichever dialect it speaks: error
 * statuses become GatewayErrors with a retry verdict, event streams are decoded as they
 * arrive, JSON is parsed. Shared by every HTTP provider and by worker tunnels, which rebuild a
 * Response from frames.
 */
export async function readUpstreamReply(
  provider: string,
  response: Response,
  call: Pick<ProviderCall, "stream" | "signal" | "maxBody">,
  maxSseLine = DEFAULT_MAX_SSE_LINE,
): Promise<Exclude<ProviderReply, { kind: "http" }>> {
  if (!response.ok) {
    const text = await readErrorText(response, provider);
    throw upstreamFailure(provider, { status: response.status, headers: response.headers, text });
  }
  const type = response.headers.get("content-type") ?? "";
  if (call.stream && type.includes("text/event-stream") && response.body) {
    return { kind: "stream", events: upstreamEvents(provider, response.body, call.signal, maxSseLine) };
  }
  let body: unknown;
  try {
    body = JSON.parse(
      new TextDecoder().decode(
        await readBounded(response, call.maxBody ?? DEFAULT_MAX_UPSTREAM_BODY, provider, "refuse"),
      ),
    );
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    if (call.signal.aborted) throw call.signal.reason;
    throw upstreamError(`upstream ${provider} sent a body that is not JSON`);
  }
  if (!isJsonObject(body)) throw upstreamError(`upstream ${provider} sent a body that is not a JSON object`);
  const failed = errorInAnswer(provider, body);
  if (failed) throw failed;
  return { kind: "json", body };
}

/**
 * Decodes an upstream event stream. A connection that breaks mid-body (reset, truncated
 * chunking) surfaces as a fetch-level error; it becomes a retryable 502 in our vocabulary,
 * or the abort reason when we are the ones who ended it. A decoder, not a translation loop: the
 * events stay in the upstream's dialect (translate/stream/stream-driver.ts translates).
 */
export async function* upstreamEvents(
  provider: string,
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  maxSseLine = DEFAULT_MAX_SSE_LINE,
): AsyncGenerator<SseEvent> {
  // One generator for decoding and error mapping: every layer of async generator costs a
  // promise per event on the streaming hot path.
  const decoder = new SseDecoder(maxSseLine);
  try {
    for await (const chunk of body) for (const event of decoder.push(chunk)) yield event;
    for (const event of decoder.end()) yield event;
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    if (signal.aborted) throw signal.reason;
    throw upstreamError(`upstream ${provider} closed the connection mid-stream`);
  }
}
