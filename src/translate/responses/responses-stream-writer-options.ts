import type { JsonObject } from "../../core/dialect.ts";
import type { ToolNames } from "./tool-names.ts";

export interface ResponsesStreamWriterOptions {
  /** The response id (`resp_…`). */
  id: string;
  /** The caller's Responses request, echoed in the `response` envelope. */
  request: JsonObject;
  createdAt?: number;
  /** Receives the final `response` before `response.completed` leaves (to store it). */
  onResponse?: (response: JsonObject) => void;
  /**
   * Receives the `response` a stream that failed after it began ends with (status `failed`, its
   * error, the output so far), to store it as OpenAI keeps one; the stream does not wait for it.
   */
  onFailed?: (response: JsonObject) => void;
  tools?: ToolNames;
  /**
   * The request asked for compaction (its input ends in `compaction_trigger`): the model's text
   * is the summary, sent as one `compaction` item once complete (compaction.ts), nothing else.
   */
  compaction?: boolean;
  /**
   * `routing.max_upstream_body`, the most a whole answer may be: the most of the answer the stream
   * gathers (its text, reasoning, tool arguments and logprobs, in characters), which it must for
   * its `*.done` events, `response.completed` and the stored response. Past it the stream ends with
   * an `error` event, as a whole answer past it is a 502. Absent: unbounded.
   */
  maxOutput?: number;
  /**
   * The answer was read whole (chat-response-to-response.ts): its chunks are fed in, and the
   * response its items make is all that is wanted (`onResponse`); no event is written. The same
   * items, ids and statuses as its stream would have, by construction.
   */
  whole?: boolean;
  /**
   * The bound on the answer the chat request sent upstream (cut-tool-call.ts `sentBound`): a last
   * call it cut makes the response incomplete, where the upstream said `tool_calls` (vLLM).
   */
  bound?: number;
}
