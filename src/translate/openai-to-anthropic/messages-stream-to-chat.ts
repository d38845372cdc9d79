import type { SseEvent } from "../../core/sse.ts";
import { readMessagesEvent } from "../stream/messages-event-reader.ts";
import { type TranslatedStream, translateStream } from "../stream/stream-driver.ts";
import type { UsageSeen } from "../stream/stream-translation.ts";
import { ChatChunkWriter, type ChatChunkWriterOptions } from "./chat-chunk-writer.ts";

/** What the stream translator needs beyond the events: the writer's options, and these. */
export interface MessagesStreamToChatOptions extends ChatChunkWriterOptions {
  /** The model name the client asked for, echoed in every chunk. */
  requestedModel: string;
  /** Told each usage figure the upstream reports, as it passes. */
  onUsage?: UsageSeen;
}

/** Anthropic Messages stream events → OpenAI `chat.completion.chunk` events ending in `[DONE]`. */
export function messagesStreamToChat(
  events: AsyncIterable<SseEvent>,
  options: MessagesStreamToChatOptions,
): TranslatedStream {
  const writer = new ChatChunkWriter(options.requestedModel, options);
  return translateStream(events, readMessagesEvent, writer, options.onUsage);
}
