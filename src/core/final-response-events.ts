// The Responses API's stream ends, named once for every reader of its events: the relays
// (routing/stream-end.ts), the fold of a stream into its response (translate/answer), the
// scrub of a failure's words, the reading of an in-band error, a Responses WebSocket's turns.

/**
 * The end event of a Responses answer that failed: how OpenAI reports a server error, at once or
 * after output streamed. It carries the final `response`, its `error` what went wrong.
 */
export const RESPONSE_FAILED = "response.failed";

/** The events that end a Responses stream, each carrying the final `response` whole. */
export const FINAL_RESPONSE_EVENTS: ReadonlySet<string> = new Set([
  "response.completed",
  "response.incomplete",
  RESPONSE_FAILED,
]);
