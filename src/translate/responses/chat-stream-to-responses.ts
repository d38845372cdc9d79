import type { JsonObject } from "../../core/dialect.ts";
import type { SseEvent } from "../../core/sse.ts";
import { readChatChunk } from "../stream/chat-chunk-reader.ts";
import { type TranslatedStream, translateStream } from "../stream/stream-driver.ts";
import type { UsageSeen } from "../stream/stream-translation.ts";
import { ResponsesStreamWriter } from "./responses-stream-writer.ts";
import type { ToolNames } from "./tool-names.ts";

/** What the Responses stream translator needs beyond the events. */
export interface ChatStreamToResponsesOptions {
  /** The caller's Responses request, echoed in the `response` envelope. */
  request: JsonObject;
  /** The response id (`resp_…`) the gateway will store the result under. */
  id: string;
  /** Unix seconds for `created_at`; defaults to now. */
  createdAt?: number;
  /** Receives the final `response` object (completed or incomplete), e.g. to store it. */
  onResponse?: (response: JsonObject) => void;
  /** How chat function names map back to the caller's tools (namespaces, custom tools). */
  tools?: ToolNames;
  /** Told each usage figure the upstream reports, as it passes. */
  onUsage?: UsageSeen;
  /** The answer is a compaction summary, sent as one `compaction` item (compaction.ts). */
  compaction?: boolean;
  /** `routing.max_upstream_body`: the most of the answer the stream gathers (responses-stream-writer.ts). */
  maxOutput?: number;
  /** The bound on the answer the chat request sent upstream (responses-stream-writer-options.ts). */
  bound?: number;
}

/** chat.completion.chunk events → Responses streaming events (`event: <type>`, numbered). */
export function chatStreamToResponses(
  events: AsyncIterable<SseEvent>,
  options: ChatStreamToResponsesOptions,
): TranslatedStream {
  const writer = new ResponsesStreamWriter(options);
  // Should the upstream report no usage, `response.completed` says the estimate of the request the
  // caller is charged (translate/stream-estimate.ts), not 0s.
  return translateStream(events, readChatChunk, writer, options.onUsage, options.request);
}
