import type { SseEvent } from "../../core/sse.ts";
import { readMessagesEvent } from "../stream/messages-event-reader.ts";
import { type TranslatedStream, translateStream } from "../stream/stream-driver.ts";
import type { UsageSeen } from "../stream/stream-translation.ts";
import { ChatChunkWriter } from "./chat-chunk-writer.ts";

/** What the stream translator needs beyond the events. */
export interface MessagesStreamToChatOptions {
  /** The model name the client asked for, echoed in every chunk. */
  requestedModel: string;
  /** The caller's `stream_options.include_usage`: add the final `choices: []` usage chunk. */
  includeUsage: boolean;
  /** Unix seconds for `created`; defaults to now. */
  created?: number;
  /** Told each usage figure the upstream reports, as it passes. */
  onUsage?: UsageSeen;
  /** Thinking as `reasoning_content` deltas: the upstream takes it back (`MessagesToChatOptions`). */
  thinkingBack?: boolean;
}

/** Anthropic Messages stream events → OpenAI `chat.completion.chunk` events ending in `[DONE]`. */
export function messagesStreamToChat(
  events: AsyncIterable<SseEvent>,
  options: MessagesStreamToChatOptions,
): TranslatedStream {
  const writer = new ChatChunkWriter(
    options.requestedModel,
    options.includeUsage,
    options.created,
    options.thinkingBack,
  );
  return translateStream(events, readMessagesEvent, writer, options.onUsage);
}
