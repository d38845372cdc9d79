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

/**
 * How a Responses answer that failed is said, streamed (`response.failed`) or whole (a 200 whose
 * response has `status: "failed"`): the words of the request's record and of its attempt's.
 */
export const A_FAILED_RESPONSE = "a failed response";

/**
 * Whether a whole answer is a Responses response that failed (`status: "failed"`, its `error`
 * what went wrong), as `response.failed` carries it at a stream's end. One cut short at
 * `max_output_tokens` (`incomplete`) is an answer.
 */
export const isFailedResponse = (body: object): boolean =>
  "status" in body && body.status === "failed" && "object" in body && body.object === "response";
