import type { JsonObject } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";

/** How one of a stream's choices ended. */
export interface ChoiceFinish {
  readonly index: number;
  readonly reason: string;
  /** Fields beside `finish_reason` that say what it cannot (converse-stop-reason.ts `finishFields`). */
  readonly fields?: JsonObject;
}

/**
 * Builds OpenAI `chat.completion.chunk` events for translators that turn another vendor's stream
 * into the chat dialect: one id, `created` and model for the whole stream, and OpenAI's habit of
 * `usage: null` on every chunk but the last once `include_usage` is on.
 */
export class ChatChunkBuilder {
  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly includeUsage: boolean,
    private readonly created = Math.floor(Date.now() / 1000),
  ) {}

  /**
   * A chunk of choice `index` (0 but for a stream of several answers, `n`), with the `logprobs` of
   * its tokens when the caller asked for them.
   */
  delta(
    delta: JsonObject,
    finishReason: string | null = null,
    index = 0,
    logprobs: JsonObject | null = null,
  ): SseEvent {
    return encode(this.deltaBody(delta, finishReason, index, logprobs));
  }

  /**
   * A stream's last events: the finish reason's chunk (one a choice, by index, where several were
   * asked for), the usage chunk if asked for, `[DONE]`.
   */
  closing(finishReason: string | readonly ChoiceFinish[], usage: JsonObject): SseEvent[] {
    const finishes = typeof finishReason === "string" ? [{ index: 0, reason: finishReason }] : finishReason;
    const out = finishes.map((finish) => this.finishChunk(finish));
    for (const body of this.usageBodies(usage)) out.push(encode(body));
    out.push({ data: "[DONE]" });
    return out;
  }

  /**
   * The same chunks as objects, for a translation that goes on to another dialect (chat →
   * Responses) and so takes them without a JSON round trip.
   */
  deltaBody(
    delta: JsonObject,
    finishReason: string | null = null,
    index = 0,
    logprobs: JsonObject | null = null,
  ): JsonObject {
    return this.body({ choices: [{ index, delta, logprobs, finish_reason: finishReason }] });
  }

  /** A choice's finish: its reason, and any fields beside it. */
  private finishChunk({ index, reason, fields }: ChoiceFinish): SseEvent {
    if (!fields) return this.delta({}, reason, index);
    const body = this.deltaBody({}, reason, index);
    Object.assign((body.choices as JsonObject[])[0] ?? {}, fields);
    return encode(body);
  }

  /** The final `choices: []` chunk carrying usage; none when the caller did not ask for it. */
  usageBodies(usage: JsonObject): JsonObject[] {
    return this.includeUsage ? [this.body({ choices: [], usage })] : [];
  }

  private body(fields: JsonObject): JsonObject {
    const body: JsonObject = {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      ...fields,
    };
    if (this.includeUsage && !("usage" in fields)) body.usage = null;
    return body;
  }
}

const encode = (body: JsonObject): SseEvent => ({ data: JSON.stringify(body) });

/** `stream_options.include_usage` of a chat request body. */
export function wantsUsage(body: JsonObject): boolean {
  const options = body.stream_options;
  return typeof options === "object" && options !== null && (options as JsonObject).include_usage === true;
}
