import type { JsonObject } from "../../core/dialect.ts";

/**
 * The tool calls of a Messages or Converse stream whose arguments have not begun. Both say a call
 * that takes no arguments with no argument text at all (Anthropic's one `partial_json: ""`), where
 * their whole answers say `{}`, and so do OpenAI's streams: a client that parses the arguments
 * (LangChain's Responses reader, the OpenAI SDKs' tool runners) fails on "". A call that ends
 * without any is given `{}`, as the chat delta `ended` returns.
 */
export class ArgumentlessCalls {
  private readonly waiting = new Set<number>();

  /** The call at chat tool-call `index` began, no arguments yet. */
  opened(index: number): void {
    this.waiting.add(index);
  }

  /** The call at `index` got argument text. */
  argued(index: number): void {
    this.waiting.delete(index);
  }

  /** The delta giving the call at `index` its `{}`, when it ended without arguments. */
  ended(index: number | undefined): JsonObject | undefined {
    if (index === undefined || !this.waiting.delete(index)) return undefined;
    return { tool_calls: [{ index, function: { arguments: "{}" } }] };
  }
}
