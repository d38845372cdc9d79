import type { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { AnthropicStreamEvent } from "../anthropic-schema.ts";
import type { OpenAIChunk } from "../openai-schema.ts";
import { ChatChunkWriter } from "../openai-to-anthropic/chat-chunk-writer.ts";
import type { MessagesToChatOptions } from "../openai-to-anthropic/messages-response-to-chat.ts";
import type { StreamWriter } from "../stream/stream-translation.ts";
import { ResponsesStreamWriter, type ResponsesStreamWriterOptions } from "./responses-stream-writer.ts";

/** The Responses stream's options, and whether the upstream's thinking is said (a reasoning item). */
export interface MessagesToResponsesOptions
  extends ResponsesStreamWriterOptions,
    Pick<MessagesToChatOptions, "thinkingBack"> {}

/**
 * Anthropic Messages events → Responses events in one pass: each Anthropic event is read once,
 * becomes chat chunks as objects (ChatChunkWriter), and those feed the Responses writer as they
 * are — the two translations compose without encoding and re-parsing the chat stream between them.
 */
export class MessagesToResponsesWriter implements StreamWriter<AnthropicStreamEvent> {
  private readonly chat: ChatChunkWriter;
  private readonly responses: ResponsesStreamWriter;

  constructor(model: string, options: MessagesToResponsesOptions) {
    const { createdAt: created, thinkingBack } = options;
    // Usage always: `response.completed` reports it.
    this.chat = new ChatChunkWriter(model, { includeUsage: true, created, thinkingBack });
    this.responses = new ResponsesStreamWriter(options);
  }

  get complete(): boolean {
    return this.responses.complete || this.chat.complete;
  }

  start(): Iterable<SseEvent> {
    return this.responses.start();
  }

  chunk(event: AnthropicStreamEvent): SseEvent[] {
    const out: SseEvent[] = [];
    // The objects ChatChunkWriter builds have the chunk shape by construction.
    for (const body of this.chat.bodies(event)) out.push(...this.responses.chunk(body as OpenAIChunk));
    return out;
  }

  /** The Responses stream's end; first its finish, when the upstream ended without `message_stop`. */
  finish(): Iterable<SseEvent> {
    const out: SseEvent[] = [];
    for (const body of this.chat.closing()) out.push(...this.responses.chunk(body as OpenAIChunk));
    out.push(...this.responses.finish());
    return out;
  }

  error(error: GatewayError): SseEvent[] {
    return this.responses.error(error);
  }
}
