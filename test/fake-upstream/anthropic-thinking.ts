import type { FakeRefusal } from "./fake-call.ts";

interface Turn {
  role: string;
  content: unknown;
}
interface Block {
  type?: unknown;
  signature?: unknown;
  data?: unknown;
}

const blocksOf = (turn: Turn | undefined): Block[] =>
  Array.isArray(turn?.content) ? (turn.content as Block[]) : [];
const isThinking = (block: Block | undefined) =>
  block?.type === "thinking" || block?.type === "redacted_thinking";

/**
 * Claude's checks of the thinking a conversation hands back (Anthropic's API, Bedrock and Vertex
 * AI alike): a `thinking` block must carry the signature Claude made it with, a `redacted_thinking`
 * block its `data` — the fake makes none and cannot tell one of Anthropic's from another string,
 * so it refuses a missing or empty one, as Claude does every time; and with extended thinking
 * (`thinking.type: "enabled"`), the assistant turn of a tool loop must begin with thinking.
 * Anthropic's own words, the path of the block at fault first.
 */
export function thinkingRefusal(messages: readonly Turn[], thinking: unknown): FakeRefusal | undefined {
  for (const [i, turn] of messages.entries()) {
    if (turn.role !== "assistant") continue;
    for (const [j, block] of blocksOf(turn).entries()) {
      if (!isThinking(block)) continue;
      const blob = block.type === "thinking" ? block.signature : block.data;
      if (typeof blob !== "string" || blob === "")
        return {
          status: 400,
          message: `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`,
        };
    }
  }
  const enabled = (thinking as { type?: unknown } | undefined)?.type === "enabled";
  const at = messages.findLastIndex((turn) => turn.role === "assistant");
  const turn = messages[at];
  const inLoop =
    blocksOf(turn).some((block) => block.type === "tool_use") &&
    blocksOf(messages.at(-1)).some((block) => block.type === "tool_result");
  const first = blocksOf(turn)[0];
  if (!enabled || !inLoop || isThinking(first)) return undefined;
  return {
    status: 400,
    message: `messages.${at}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first?.type)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`,
  };
}
