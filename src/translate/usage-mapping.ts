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
    output_tokens: chatOutputTokens(usage),
  };
}

/** A chat usage object's answer tokens, reasoning included however it is counted (`answerTokens`). */
export const chatOutputTokens = (usage: OpenAIUsage | JsonObject): number =>
  answerTokens(
    num(usage.prompt_tokens),
    num(usage.completion_tokens),
    detail(usage.completion_tokens_details, "reasoning_tokens"),
    usage.total_tokens,
  );

/**
 * The answer's tokens in an OpenAI-shaped usage, reasoning included whichever way the upstream
 * counts it. OpenAI counts reasoning inside `completion_tokens` (`total_tokens` is prompt +
 * completion); xAI counts it beside them and bills it as output (docs.x.ai, "Consumption and Rate
 * Limits": reasoning is "counted separately from completion_tokens, but will be counted in the
 * total_tokens"). The total tells them apart: prompt + completion + reasoning, reasoning above 0,
 * is never OpenAI's total (that would count its reasoning twice), so only then is it added. Any
 * upstream that counts as xAI does is read right, preset or not; a usage without a total is read
 * as OpenAI's. The Responses shape is read the same way (xAI's counts reasoning inside there).
 */
function answerTokens(input: number, output: number, reasoning: number, total: unknown): number {
  return reasoning > 0 && total === input + output + reasoning ? output + reasoning : output;
}

/**
 * Token usage in an OpenAI-dialect body: a chat.completion, a chunk carrying usage, a Responses
 * `response`, or a `response.completed` event. Undefined when the body reports none.
 */
export function usageFromOpenAI(body: unknown): Usage | undefined {
  if (!isJsonObject(body)) return undefined;
  if (isJsonObject(body.response)) return usageFromOpenAI(body.response);
  const usage = body.usage;
  if (!isJsonObject(usage)) return undefined;
  if ("prompt_tokens" in usage || "completion_tokens" in usage) {
    return withDetails(
      { inputTokens: num(usage.prompt_tokens), outputTokens: chatOutputTokens(usage) },
      detail(usage.prompt_tokens_details, "cached_tokens"),
      0,
      detail(usage.completion_tokens_details, "reasoning_tokens"),
    );
  }
  if ("input_tokens" in usage || "output_tokens" in usage) {
    const input = num(usage.input_tokens);
    const reasoning = detail(usage.output_tokens_details, "reasoning_tokens");
    return withDetails(
      {
        inputTokens: input,
        outputTokens: answerTokens(input, num(usage.output_tokens), reasoning, usage.total_tokens),
      },
      detail(usage.input_tokens_details, "cached_tokens"),
      0,
      reasoning,
    );
  }
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
