import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { AnswerFold } from "./answer-fold.ts";
import { parsedArguments, textOf } from "./loose-json.ts";

/** Each delta type and the field of its block it adds to. */
const DELTA_FIELDS: Record<string, [delta: string, block: string]> = {
  text_delta: ["text", "text"],
  thinking_delta: ["thinking", "thinking"],
  signature_delta: ["signature", "signature"],
};

/**
 * Anthropic Messages stream events folded into the `message` a non-stream call answers: the
 * message of `message_start`, each content block from its start and deltas (a tool's input from
 * its JSON fragments), the stop reason and usage of `message_delta`.
 */
export class MessagesAnswerFold implements AnswerFold {
  private message: JsonObject | undefined;
  private readonly blocks = new Map<number, JsonObject>();
  /** A tool input's JSON fragments, by block index, until its block stops. */
  private readonly inputs = new Map<number, string>();

  take(event: unknown): void {
    if (!isJsonObject(event)) return;
    const index = typeof event.index === "number" ? event.index : 0;
    switch (event.type) {
      case "message_start":
        if (isJsonObject(event.message)) this.message = { ...event.message };
        return;
      case "content_block_start":
        if (isJsonObject(event.content_block)) this.blocks.set(index, { ...event.content_block });
        return;
      case "content_block_delta":
        this.delta(index, event.delta);
        return;
      case "content_block_stop":
        this.settle(index);
        return;
      case "message_delta":
        this.messageDelta(event);
        return;
    }
  }

  whole(): JsonObject | undefined {
    if (!this.message && this.blocks.size === 0) return undefined;
    for (const index of [...this.inputs.keys()]) this.settle(index);
    const content = [...this.blocks.entries()].sort(([a], [b]) => a - b).map(([, block]) => block);
    return { type: "message", role: "assistant", stop_reason: null, ...this.message, content };
  }

  private delta(index: number, delta: unknown): void {
    const block = this.blocks.get(index);
    if (!block || !isJsonObject(delta) || typeof delta.type !== "string") return;
    if (delta.type === "input_json_delta") {
      this.inputs.set(index, (this.inputs.get(index) ?? "") + textOf(delta.partial_json));
      return;
    }
    if (delta.type === "citations_delta") {
      block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
      return;
    }
    const fields = DELTA_FIELDS[delta.type];
    if (fields) block[fields[1]] = textOf(block[fields[1]]) + textOf(delta[fields[0]]);
  }

  /** A tool block's input from its fragments; none sent leaves the input its start gave. */
  private settle(index: number): void {
    const json = this.inputs.get(index);
    this.inputs.delete(index);
    const block = this.blocks.get(index);
    if (block && json !== undefined && json !== "") block.input = parsedArguments(json);
  }

  private messageDelta(event: JsonObject): void {
    this.message ??= {};
    if (isJsonObject(event.delta)) Object.assign(this.message, event.delta);
    if (isJsonObject(event.usage))
      this.message.usage = {
        ...(isJsonObject(this.message.usage) ? this.message.usage : {}),
        ...event.usage,
      };
  }
}
