import type { AnthropicRequest } from "../anthropic-schema.ts";

/**
 * Anthropic's `thinking` as an OpenAI `reasoning_effort`. An explicit budget maps by size
 * (under 4k tokens low, under 16k medium, else high); `adaptive` leaves the choice to the
 * upstream, as it does on Anthropic; `disabled` is `off`, the effort that stops the upstream's
 * thinking (ChatUpstreamNeeds.thinkingOffEffort: Gemini's `none`), and none where it has no such
 * word (an OpenAI model then thinks as its default).
 */
export function effortFromThinking(thinking: AnthropicRequest["thinking"], off?: string): string | undefined {
  if (!thinking) return undefined;
  if (thinking.type === "disabled") return off;
  if (thinking.type !== "enabled" || typeof thinking.budget_tokens !== "number") return undefined;
  if (thinking.budget_tokens < 4096) return "low";
  if (thinking.budget_tokens < 16_384) return "medium";
  return "high";
}

/**
 * Whether Claude would show its thinking for `thinking`: enabled or adaptive, its `display` not
 * `omitted` (thinking blocks then carry no text).
 */
export const showsThinking = (thinking: AnthropicRequest["thinking"]): boolean =>
  (thinking?.type === "enabled" || thinking?.type === "adaptive") && thinking.display !== "omitted";

/** The thinking budget Anthropic gets for an OpenAI `reasoning_effort` (the inverse mapping). */
export function thinkingBudgetFor(effort: string): number | undefined {
  const budgets: Record<string, number> = {
    minimal: 1024,
    low: 2048,
    medium: 8192,
    high: 24_576,
    xhigh: 32_000,
  };
  return budgets[effort];
}
