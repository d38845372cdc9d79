import type { SseEvent } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";

/** What the relay scan (relay-scan.ts) asks of its relay's caller, as methods (the router's attempt is one). */
export interface UsageSink {
  readonly maxLine: number;
  /**
   * Sees each event that carries a usage object, and a named end event (a Responses stream's
   * `response.failed` may carry none, and its response is stored all the same) — the only events
   * the relay decodes — and returns false to keep it from the caller (the `include_usage` chunk
   * the caller did not ask for).
   */
  onUsage(event: SseEvent): boolean;
  /**
   * The `previous_response_id` a native Responses stream's events say where their upstream said
   * null (a chain the gateway expanded: AdaptedCall `previousId`); undefined nearly always.
   */
  readonly previousId?: string | undefined;
  /**
   * The gateway's request id, for an Anthropic stream: an error event rewritten to hide the
   * upstream's account has lost the upstream's `request_id`, and names this one instead, as a whole
   * error body does (http/error-body.ts `ownRequestId`). Read only when an event is rewritten.
   */
  readonly scrubbedRequestId?: string | undefined;
  /**
   * The caller of a chat (or completions) stream asked for its usage chunk itself
   * (`stream_options.include_usage`), the gateway did not add the ask: should the upstream send
   * no usage object, the relay owes it one (owed-usage.ts), of this `object`
   * (`chat.completion.chunk`, `text_completion`); undefined when it did not ask.
   */
  readonly usageAsked?: OwedUsageObject | undefined;
  /**
   * The stream ends whole, `upstreamEvents` of its data events the answer's (not its end marker,
   * not a usage-only chunk), and the upstream sent no usage object: records the estimate its
   * caller is told (translate/stream-estimate.ts) as the stream's usage, the figure it is charged,
   * and returns it; undefined when there is nothing to record it in.
   */
  recordEstimate?(upstreamEvents: number): Usage | undefined;
}

/** The `object` of a chat stream's chunks, and of a completions stream's. */
export type OwedUsageObject = "chat.completion.chunk" | "text_completion";
