import type { SseEvent } from "../core/sse.ts";

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
}
