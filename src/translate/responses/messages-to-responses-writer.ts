import type { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { AnthropicStreamEvent } from "../anthropic-schema.ts";
import type { OpenAIChunk } from "../openai-schema.ts";
import { ChatChunkWriter } from "../openai-to-anthropic/chat-chunk-writer.ts";
import type { StreamWriter } from "../stream/stream-translation.ts";
import { encryptedThinking } from "../thinking-blocks.ts";
import { ResponsesStreamWriter } from "./responses-stream-writer.ts";
import type { ResponsesStreamWriterOptions } from "./responses-stream-writer-options.ts";

/** The Responses stream's options, and whose thinking is said, when it is (a reasoning item a block). */
export interface MessagesToResponsesOptions extends ResponsesStreamWriterOptions {
  /**
   * The provider, when it takes its thinking back (MessagesToChatOptions `thinkingBack`): each
   * block is a reasoning item, its signature marked as this provider's (thinking-blocks.ts).
   */
  readonly thinkingBackTo?: string | undefined;
}

/**
 * Anthropic Messages events → Responses events in one pass: each Anthropic event is read once,
 * becomes chat chunks as objects (ChatChunkWriter), and those feed the Responses writer as they
 * are — the two translations compose without encoding and re-parsing the chat stream between them.
 * What chat cannot say of the thinking said (`thinkingBackTo`) is told the Responses writer from the
 * events themselves: where each block begins (a reasoning item each) and its signature (the item's
 * `encrypted_content`, thinking-blocks.ts).
 */
export class MessagesToResponsesWriter implements StreamWriter<AnthropicStreamEvent> {
  private readonly chat: ChatChunkWriter;
  private readonly responses: ResponsesStreamWriter;
  private readonly thinkingBackTo: string | undefined;

  constructor(model: string, options: MessagesToResponsesOptions) {
    const { createdAt: created, thinkingBackTo } = options;
    const thinkingBack = thinkingBackTo !== undefined;
    // Usage always: `response.completed` reports it.
    this.chat = new ChatChunkWriter(model, {
      includeUsage: true,
      created,
      thinkingBack,
      thinkingApart: true,
    });
    this.responses = new ResponsesStreamWriter(options);
    this.thinkingBackTo = thinkingBackTo;
  }

  get complete(): boolean {
    return this.responses.complete || this.chat.complete;
  }

  start(): Iterable<SseEvent> {
    return this.responses.start();
  }

  chunk(event: AnthropicStreamEvent): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.thinkingBackTo !== undefined) this.thinking(event, out, this.thinkingBackTo);
    // The objects ChatChunkWriter builds have the chunk shape by construction.
    for (const body of this.chat.bodies(event)) out.push(...this.responses.chunk(body as OpenAIChunk));
    return out;
  }

  /** A thinking block's start (a reasoning item of its own) or its signature, told the Responses writer. */
  private thinking(event: AnthropicStreamEvent, out: SseEvent[], provider: string): void {
    if (event.type === "content_block_start" && event.content_block.type === "thinking")
      out.push(...this.responses.reasoningApart());
    else if (event.type === "content_block_delta" && event.delta.type === "signature_delta") {
      const encrypted = encryptedThinking(
        typeof event.delta.signature === "string" ? event.delta.signature : "",
        provider,
      );
      if (encrypted !== undefined) this.responses.reasoningSealed(encrypted);
    }
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
