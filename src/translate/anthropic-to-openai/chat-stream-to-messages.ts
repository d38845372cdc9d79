import type { JsonObject } from "../../core/dialect.ts";
import type { SseEvent } from "../../core/sse.ts";
import { readChatChunk } from "../stream/chat-chunk-reader.ts";
import { type TranslatedStream, translateStream } from "../stream/stream-driver.ts";
import type { UsageSeen } from "../stream/stream-translation.ts";
import { MessagesStreamWriter } from "./messages-stream-writer.ts";

/** What the stream translator needs beyond the events. */
export interface ChatStreamToMessagesOptions {
  /** The model name the client asked for; Anthropic clients see it back in `message_start`. */
  requestedModel: string;
  /** Told each usage figure the upstream reports, as it passes. */
  onUsage?: UsageSeen;
  /**
   * The prompt's tokens by the gateway's estimate: `message_start`'s input, where the upstream
   * states its own only at the end (a chat stream does). `message_delta` has the upstream's.
   */
  promptTokens?: () => number;
  /**
   * The caller's request: should the upstream report no usage (a server that ignores
   * `stream_options`), `message_delta` says the estimate of it the caller is charged
   * (translate/stream-estimate.ts), recorded through `onUsage`.
   */
  prompt?: JsonObject;
  /**
   * `routing.max_upstream_body`: the most of a tool call's arguments held until its block closes
   * (messages-stream-writer.ts); past it the stream fails with a 502. Absent: unbounded.
   */
  maxHeld?: number;
  /**
   * The bound on the answer the chat request sent upstream (cut-tool-call.ts `sentBound`): a last
   * call it cut is told as `max_tokens`, where the upstream said `tool_calls` (vLLM).
   */
  bound?: number;
}

/** OpenAI `chat.completion.chunk` events → the Anthropic Messages event sequence. */
export function chatStreamToMessages(
  events: AsyncIterable<SseEvent>,
  options: ChatStreamToMessagesOptions,
): TranslatedStream {
  return translateStream(
    events,
    readChatChunk,
    new MessagesStreamWriter(options.requestedModel, options.promptTokens, options.maxHeld, options.bound),
    options.onUsage,
    options.prompt,
  );
}
