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
   * The caller of a chat (or completions) stream asked for its usage chunk itself
   * (`stream_options.include_usage`), the gateway did not add the ask: should the upstream send
   * none, the relay owes it one (`untoldUsage`).
   */
  readonly usageAsked?: boolean;
  /**
   * The stream ends whole, `upstreamEvents` data events read but its end marker: the usage its
   * caller is told and charged when the upstream reported none (translate/stream-estimate.ts),
   * recorded as the stream's usage; undefined when it reported its own.
   */
  untoldUsage?(upstreamEvents: number): Usage | undefined;
}
