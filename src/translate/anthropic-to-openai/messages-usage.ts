import type { JsonObject } from "../../core/dialect.ts";
import type { Usage } from "../../core/usage.ts";
import { anthropicUsageOf } from "../usage-mapping.ts";

/**
 * OpenAI's `service_tier` in an answer (the tier it ran on) as Anthropic's `usage.service_tier`:
 * `default` is standard capacity, `priority` (what OpenAI answers for `fast` too) is priority.
 * `flex` (cheaper, slower, may be refused) is no Anthropic tier, `batch` being the Batches API's,
 * and `scale` (reserved throughput) is not said to be Priority Tier: both, and an answer without
 * one, are null, which the Anthropic SDK types as a tier not said.
 */
const SERVICE_TIERS: Readonly<Record<string, string>> = { default: "standard", priority: "priority" };

const anthropicTier = (tier: unknown): string | null =>
  typeof tier === "string" && Object.hasOwn(SERVICE_TIERS, tier) ? (SERVICE_TIERS[tier] ?? null) : null;

/**
 * A `message_delta`'s usage (Anthropic's cumulative counts) for usage in the gateway's terms, with
 * the reasoning tokens as `output_tokens_details.thinking_tokens` where the upstream counted them
 * (the Anthropic SDK copies it onto the message when it is not null), and no Anthropic server tool
 * run (`server_tool_use` null): the fields its SDK types as required there.
 */
export function messagesDeltaUsage(read: Usage): JsonObject {
  const thinking = read.reasoningTokens;
  return {
    ...anthropicUsageOf(read),
    output_tokens_details: thinking ? { thinking_tokens: thinking } : null,
    server_tool_use: null,
  };
}

/**
 * A whole message's usage, as the one a `message_start` carries, with every field the Anthropic SDK
 * types as required: what a chat answer says (its counts, its tier, `tier` being its top-level
 * `service_tier`), and null for what it cannot (the inference region, the speed mode).
 * `cache_creation` splits writes by their lifetime: none written, both are 0; a chat upstream's
 * writes (OpenRouter's, Converse's) come without one, so it is null.
 */
export function messagesUsage(read: Usage, tier: unknown): JsonObject {
  const written = read.cacheWriteTokens ?? 0;
  return {
    ...messagesDeltaUsage(read),
    cache_creation: written === 0 ? { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } : null,
    service_tier: anthropicTier(tier),
    inference_geo: null,
    speed: null,
  };
}
