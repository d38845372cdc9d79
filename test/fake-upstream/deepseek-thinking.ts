import type { FakeRefusal } from "./fake-call.ts";

/**
 * DeepSeek's thinking mode, as its API keeps it (api-docs.deepseek.com/guides/thinking_mode): the
 * model's answer comes with its reasoning (`reasoning_content`), and an assistant turn that called
 * tools must come back with that reasoning, or the request is refused.
 */
export const THINKING_MODEL = /^deepseek-reasoner/;

/** DeepSeek's refusal of a tool-call turn sent back without its reasoning, if one is. */
export function missingReasoning(messages: readonly Record<string, unknown>[]): FakeRefusal | undefined {
  const index = messages.findIndex(
    (message) =>
      message.role === "assistant" &&
      Array.isArray(message.tool_calls) &&
      typeof message.reasoning_content !== "string",
  );
  if (index === -1) return undefined;
  return {
    status: 400,
    message: `Missing \`reasoning_content\` field in the assistant message at message index ${index}. For more information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls`,
  };
}

/** The reasoning the fake's thinking model writes before its answer, told apart by the request's length. */
export const fakeReasoning = (messages: readonly unknown[]) => `Thinking over ${messages.length} messages.`;

/** The models DeepSeek's Anthropic API (`/anthropic`) serves, in thinking mode unless told otherwise. */
export const ANTHROPIC_API_MODEL = /^deepseek-/;

/**
 * DeepSeek's Anthropic API in thinking mode (its default; `thinking: {type: "disabled"}` turns it
 * off): an assistant turn that called tools must come back with its `thinking` block, which it
 * takes whatever its signature (it signs none of Claude's; api-docs.deepseek.com/guides/anthropic_api:
 * `thinking` supported, `redacted_thinking` not), or the request is refused in these words. The
 * rule is its chat API's (api-docs.deepseek.com/guides/thinking_mode#tool-calls: "For turns that do
 * perform tool calls, the reasoning_content must be fully passed back to the API in all subsequent
 * requests", else a 400): every tool-call turn of the history, however it was answered, and the
 * thinking may be empty (a turn that had none: DeepSeek's own harness sends it so,
 * github.com/deepseek-ai/deepseek-harness/discussions/739, where leaving it out was that 400).
 * A `redacted_thinking` block is no `thinking` block: it does not count.
 */
export function missingThinking(
  messages: readonly { role: string; content: unknown }[],
  thinking: unknown,
): FakeRefusal | undefined {
  if ((thinking as { type?: unknown } | undefined)?.type === "disabled") return undefined;
  const has = (content: unknown, is: (block: Record<string, unknown>) => boolean) =>
    Array.isArray(content) &&
    content.some((block) => typeof block === "object" && block !== null && is(block));
  const bare = messages.some(
    (message) =>
      message.role === "assistant" &&
      has(message.content, (block) => block.type === "tool_use") &&
      !has(message.content, (block) => block.type === "thinking" && typeof block.thinking === "string"),
  );
  if (!bare) return undefined;
  return {
    status: 400,
    message: "The `content[].thinking` in the thinking mode must be passed back to the API.",
  };
}
