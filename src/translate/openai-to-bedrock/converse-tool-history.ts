import type { JsonObject } from "../../core/dialect.ts";

/**
 * A conversation's tool calls and results as text, for a request that declares no tools. Converse
 * refuses `toolUse` and `toolResult` blocks without a `toolConfig` (400 ValidationException "The
 * toolConfig field must be defined when using toolUse and toolResult content blocks."), where
 * OpenAI's API takes them: a summary or a last answer asked of a tool loop's history with the tools
 * left off, or such a request failed over to Bedrock. Declaring the history's tools again would let
 * the model call them for a caller that offered none; as text, the model reads what was called and
 * what came back, and answers in words. The names of the calls the results answer are remembered
 * from the turns before (`names`: call id → function name).
 */
export class ToolHistoryText {
  private readonly names = new Map<string, string>();

  /** A call as the text block the model reads in the assistant's turn. */
  call(id: string, name: string, args: string): JsonObject {
    this.names.set(id, name);
    return { text: `[called ${name} with ${args.trim() === "" ? "{}" : args}]` };
  }

  /** A result as the text block the model reads in the user's turn, named by the call it answers. */
  result(callId: string | null | undefined, text: string): JsonObject {
    const name = (callId != null ? this.names.get(callId) : undefined) ?? "a tool";
    return { text: `[${name} returned: ${text}]` };
  }
}
