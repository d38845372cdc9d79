import type { JsonObject } from "../core/dialect.ts";
import { noteCallsInText } from "./calls-in-text.ts";

/**
 * A whole answer said in order (text, a tool call, more text: Anthropic's, Converse's and Gemini's
 * answers), gathered into one chat.completion `message`: its text joined into `content`, its calls
 * in `tool_calls`, and where each call came in the text noted for a translation on to the
 * Responses API (calls-in-text.ts).
 */
export class AnswerMessage {
  private text = "";
  private readonly toolCalls: JsonObject[] = [];
  /** The length of the text before each call. */
  private readonly before: number[] = [];

  addText(text: string): void {
    this.text += text;
  }

  addCall(call: JsonObject): void {
    this.toolCalls.push(call);
    this.before.push(this.text.length);
  }

  /** The length of the text so far: where the next text starts in `content`. */
  get textLength(): number {
    return this.text.length;
  }

  /** The text so far: the message's `content`, which annotations index. */
  get content(): string {
    return this.text;
  }

  /** Whether the answer called a tool. */
  get callsTools(): boolean {
    return this.toolCalls.length > 0;
  }

  /** Whether the answer has any text or a tool call (a turn that wrote nothing has neither). */
  get produced(): boolean {
    return this.text !== "" || this.callsTools;
  }

  /** The message (content null when only tools), its `reasoning` as `reasoning_content` when there is any. */
  message(reasoning = ""): JsonObject {
    const message: JsonObject = {
      role: "assistant",
      content: this.text === "" && this.callsTools ? null : this.text,
      refusal: null,
    };
    if (reasoning !== "") message.reasoning_content = reasoning;
    if (this.callsTools) message.tool_calls = this.toolCalls;
    noteCallsInText(message, this.text, this.before);
    return message;
  }
}

/** A chat tool call, its `input` as the JSON text of its arguments (as OpenAI sends them). */
export const chatToolCall = (id: string, name: string, input: unknown): JsonObject => ({
  id,
  type: "function",
  function: { name, arguments: JSON.stringify(input ?? {}) },
});
