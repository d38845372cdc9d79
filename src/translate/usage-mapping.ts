import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import type { AnthropicUsage } from "./anthropic-schema.ts";
import type { OpenAIUsage } from "./openai-schema.ts";

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/**
 * Anthropic counts cache reads and writes apart from `input_tokens`; OpenAI's `prompt_tokens`
 * includes cached tokens. The gateway bills the whole prompt, so both map to the OpenAI sense.
 */
export function anthropicInputTotal(usage: AnthropicUsage | JsonObject): number {
  return (
    num(usage.input_tokens) + num(usage.cache_creation_input_tokens) + num(usage.cache_read_input_tokens)
  );
}

/** OpenAI usage object (chat.completions shape) for an Anthropic usage object. */
export function anthropicUsageToOpenAI(usage: AnthropicUsage): JsonObject {
  const prompt = anthropicInputTotal(usage);
  const completion = num(usage.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: num(usage.cache_read_input_tokens) },
  };
}

/** Anthropic usage object for an OpenAI chat usage object (cached prompt tokens → cache reads). */
export function openAIUsageToAnthropic(usage: OpenAIUsage): JsonObject {
  const cached = num(usage.prompt_tokens_details?.cached_tokens);
  return {
    input_tokens: Math.max(0, num(usage.prompt_tokens) - cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: num(usage.completion_tokens),
  };
}

/**
 * Token usage in an OpenAI-dialect body: a chat.completion, a chunk carrying usage, a Responses
 * `response`, a `response.completed` event, or an embeddings answer. Undefined when the body
 * reports none. Where the prompt's count is missing but a total is given (Voyage's embeddings send
 * only `total_tokens`), the prompt is what of the total is not the answer's.
 */
export function usageFromOpenAI(body: unknown): Usage | undefined {
  if (!isJsonObject(body)) return undefined;
  if (isJsonObject(body.response)) return usageFromOpenAI(body.response);
  const usage = body.usage;
  if (!isJsonObject(usage)) return undefined;
  if ("prompt_tokens" in usage || "completion_tokens" in usage) {
    const output = num(usage.completion_tokens);
    const input =
      "prompt_tokens" in usage ? num(usage.prompt_tokens) : Math.max(0, num(usage.total_tokens) - output);
    return withDetails(
      { inputTokens: input, outputTokens: output },
      detail(usage.prompt_tokens_details, "cached_tokens"),
      0,
      detail(usage.completion_tokens_details, "reasoning_tokens"),
    );
  }
  if ("input_tokens" in usage || "output_tokens" in usage) {
    return withDetails(
      { inputTokens: num(usage.input_tokens), outputTokens: num(usage.output_tokens) },
      detail(usage.input_tokens_details, "cached_tokens"),
      0,
      detail(usage.output_tokens_details, "reasoning_tokens"),
    );
  }
  // Only a total (Voyage's embeddings): an answer of no tokens of its own, all of it the prompt.
  if ("total_tokens" in usage) return { inputTokens: num(usage.total_tokens), outputTokens: 0 };
  return undefined;
}

/**
 * Token usage in an Anthropic-dialect body: a message, a `message_start` event (input known,
 * output so far) or a `message_delta` event (cumulative output; input only when reported).
 */
export function usageFromAnthropic(body: unknown): Usage | undefined {
  if (!isJsonObject(body)) return undefined;
  if (isJsonObject(body.message)) return usageFromAnthropic(body.message);
  const usage = body.usage;
  if (!isJsonObject(usage)) return undefined;
  return withDetails(
    { inputTokens: anthropicInputTotal(usage), outputTokens: num(usage.output_tokens) },
    num(usage.cache_read_input_tokens),
    num(usage.cache_creation_input_tokens),
    0,
  );
}

const detail = (details: unknown, field: string): number => (isJsonObject(details) ? num(details[field]) : 0);

/** Adds the cache and reasoning parts that pricing needs, only where the body reported them. */
function withDetails(usage: Usage, cached: number, cacheWrite: number, reasoning: number): Usage {
  if (cached > 0) usage.cachedInputTokens = cached;
  if (cacheWrite > 0) usage.cacheWriteTokens = cacheWrite;
  if (reasoning > 0) usage.reasoningTokens = reasoning;
  return usage;
}
