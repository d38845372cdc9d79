import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { Usage, UsageDetail } from "../core/usage.ts";
import type { AnthropicUsage } from "./anthropic-schema.ts";
import type { OpenAIUsage } from "./openai-schema.ts";

/**
 * A token count as the upstream reported it, when it is one: a whole number, 0 or more. Anything
 * else (a negative, a fraction, a string, null) is read as a count not reported, as a field left out
 * is: 0 where another figure stands, and the answer estimated where none does (http/whole-usage.ts,
 * stream-usage.ts). Taken as it came, `prompt_tokens: -100000` went into the audit row, the usage a
 * translated caller is sent, the tenant's usage and the token histogram; rounding a fraction would
 * invent a count the upstream never gave. Every field of every upstream's usage is read through it,
 * each on its own before any sum (a Gemini or Bedrock usage's too), so one bad field takes no valid
 * one with it; an embeddings answer's count too, where none valid is the texts' estimate
 * (openai-embeddings.ts).
 */
export const tokenCount = (value: unknown): number | undefined =>
  Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;

/** A field's `tokenCount`, 0 where it holds none: what a sum of fields adds for it. */
export const tokenCountOrZero = (value: unknown): number => tokenCount(value) ?? 0;

/**
 * Anthropic counts cache reads and writes apart from `input_tokens`; OpenAI's `prompt_tokens`
 * includes cached tokens. The gateway bills the whole prompt, so both map to the OpenAI sense.
 */
export function anthropicInputTotal(usage: AnthropicUsage | JsonObject): number {
  return (
    tokenCountOrZero(usage.input_tokens) +
    tokenCountOrZero(usage.cache_creation_input_tokens) +
    tokenCountOrZero(usage.cache_read_input_tokens)
  );
}

/**
 * OpenAI usage object (chat.completions shape) for an Anthropic usage object: cache reads as
 * `cached_tokens`, and writes, which OpenAI's usage has no field for, as `cache_write_tokens` beside
 * them (OpenRouter's field), as Claude's on Converse are said (converse-usage.ts), so a chat caller
 * is told the same of Claude on Anthropic's API, Bedrock and Vertex AI.
 */
export function anthropicUsageToOpenAI(usage: AnthropicUsage): JsonObject {
  const prompt = anthropicInputTotal(usage);
  const completion = tokenCountOrZero(usage.output_tokens);
  const written = tokenCountOrZero(usage.cache_creation_input_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      cached_tokens: tokenCountOrZero(usage.cache_read_input_tokens),
      ...(written > 0 ? { cache_write_tokens: written } : {}),
    },
  };
}

/**
 * Anthropic usage object for usage in the gateway's terms: cached tokens as cache reads, cache
 * writes (a chat usage's `cache_write_tokens`: Bedrock Converse's, OpenRouter's) as cache creation,
 * `input_tokens` what is left of the prompt, as Anthropic counts it.
 */
export function anthropicUsageOf(read: Usage): JsonObject {
  const cached = read.cachedInputTokens ?? 0;
  const written = read.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, read.inputTokens - cached - written),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
    output_tokens: read.outputTokens,
  };
}

/** OpenAI chat usage object for usage in the gateway's terms: what a chat stream's last chunk says. */
export function chatUsageOf(read: Usage): JsonObject {
  return {
    prompt_tokens: read.inputTokens,
    completion_tokens: read.outputTokens,
    total_tokens: read.inputTokens + read.outputTokens,
  };
}

/** A chat usage object's answer tokens, reasoning included however it is counted (`answerTokens`). */
const chatOutputTokens = (usage: OpenAIUsage | JsonObject): number =>
  answerTokens(
    tokenCountOrZero(usage.prompt_tokens),
    tokenCountOrZero(usage.completion_tokens),
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
 * `response`, a `response.completed` event, or an embeddings answer. Undefined when the body
 * reports none. Where the prompt's count is missing but a total is given (Voyage's embeddings send
 * only `total_tokens`), the prompt is what of the total is not the answer's.
 */
export function usageFromOpenAI(body: unknown): Usage | undefined {
  if (!isJsonObject(body)) return undefined;
  if (isJsonObject(body.response)) return usageFromOpenAI(body.response);
  const usage = body.usage;
  if (!isJsonObject(usage)) return undefined;
  if ("prompt_tokens" in usage || "completion_tokens" in usage) return chatUsage(usage);
  if ("input_tokens" in usage || "output_tokens" in usage) {
    const input = tokenCountOrZero(usage.input_tokens);
    const reasoning = detail(usage.output_tokens_details, "reasoning_tokens");
    const read: Usage = {
      inputTokens: input,
      outputTokens: answerTokens(input, tokenCountOrZero(usage.output_tokens), reasoning, usage.total_tokens),
    };
    part(read, "cachedInputTokens", ofPrompt(detail(usage.input_tokens_details, "cached_tokens"), input));
    part(read, "reasoningTokens", reasoning);
    part(read, "webSearches", webSearchCalls(body.output));
    return read;
  }
  // Only a total (Voyage's embeddings): an answer of no tokens of its own, all of it the prompt.
  if ("total_tokens" in usage) return { inputTokens: tokenCountOrZero(usage.total_tokens), outputTokens: 0 };
  return undefined;
}

/**
 * A chat usage object as the gateway reads it: what it bills (`usageFromOpenAI`), and what a caller
 * of another dialect is told of it (messages-usage.ts `messagesUsage`, response-envelope.ts
 * `responsesUsage`), so the two never differ while any figure is valid (with none, a whole answer
 * is billed an estimate, translate/whole-estimate.ts, that is written in as its usage before it is
 * read here: routing/attempt-answer.ts `withUsageTold`). Its prompt, not
 * reported, is what of a valid `total_tokens` is not the answer's. Its cached tokens are a part of
 * the prompt (`ofPrompt`).
 */
export function chatUsage(usage: OpenAIUsage | JsonObject): Usage {
  const output = chatOutputTokens(usage);
  const input = tokenCount(usage.prompt_tokens) ?? Math.max(0, tokenCountOrZero(usage.total_tokens) - output);
  const read: Usage = { inputTokens: input, outputTokens: output };
  const prompt = usage.prompt_tokens_details;
  const completion = usage.completion_tokens_details;
  const cached = ofPrompt(promptCacheReads(usage), input);
  part(read, "cachedInputTokens", cached);
  // Not OpenAI's: the writes OpenRouter's chat usage says, and Bedrock Converse's as the gateway
  // writes them in chat (converse-usage.ts), inside `prompt_tokens` as the reads are: with the
  // reads, never more than the prompt.
  part(read, "cacheWriteTokens", ofPrompt(detail(prompt, "cache_write_tokens"), input - cached));
  part(read, "reasoningTokens", detail(completion, "reasoning_tokens"));
  part(read, "inputAudioTokens", detail(prompt, "audio_tokens"));
  part(read, "outputAudioTokens", detail(completion, "audio_tokens"));
  return read;
}

/**
 * A chat usage's cache reads: OpenAI's `prompt_tokens_details.cached_tokens`, or DeepSeek's own
 * `prompt_cache_hit_tokens` (its API documents only that, beside `prompt_cache_miss_tokens`, the two
 * making `prompt_tokens`; it sends `cached_tokens` too, the same count, as not every server that
 * speaks its API does). Both count the same tokens of the prompt: the larger, never their sum.
 */
const promptCacheReads = (usage: OpenAIUsage | JsonObject): number =>
  Math.max(
    detail(usage.prompt_tokens_details, "cached_tokens"),
    tokenCountOrZero(usage.prompt_cache_hit_tokens),
  );

/**
 * Searches a Responses answer ran with OpenAI's `web_search` tool, billed per call: one
 * `web_search_call` item each (what OpenAI runs inside one and does not show is not seen here).
 */
function webSearchCalls(output: unknown): number {
  if (!Array.isArray(output)) return 0;
  let calls = 0;
  for (const item of output) if (isJsonObject(item) && item.type === "web_search_call") calls++;
  return calls;
}

/**
 * Token usage in an Anthropic-dialect body: a message, a `message_start` event (input known,
 * output so far) or a `message_delta` event (cumulative output and searches; input only when
 * reported). `cache_creation_input_tokens` is every cache write; `cache_creation` says how many
 * of them live an hour (`ttl: "1h"`, billed higher than the default five minutes).
 */
export function usageFromAnthropic(body: unknown): Usage | undefined {
  if (!isJsonObject(body)) return undefined;
  if (isJsonObject(body.message)) return usageFromAnthropic(body.message);
  const usage = body.usage;
  if (!isJsonObject(usage)) return undefined;
  const read: Usage = {
    inputTokens: anthropicInputTotal(usage),
    outputTokens: tokenCountOrZero(usage.output_tokens),
  };
  part(read, "cachedInputTokens", tokenCountOrZero(usage.cache_read_input_tokens));
  part(read, "cacheWriteTokens", tokenCountOrZero(usage.cache_creation_input_tokens));
  part(read, "cacheWrite1hTokens", detail(usage.cache_creation, "ephemeral_1h_input_tokens"));
  part(read, "webSearches", detail(usage.server_tool_use, "web_search_requests"));
  return read;
}

/**
 * A part of the prompt's count as the prompt can hold it: OpenAI's `cached_tokens` (chat's
 * `prompt_tokens_details`, the Responses API's `input_tokens_details`) and Gemini's
 * `cachedContentTokenCount` are inside the prompt's count, so an upstream that reports more of them
 * than the whole prompt (a proxy that sums a cache over calls, a server's miscount) is read as a
 * prompt all of it cached: never charged more cache reads than the prompt had tokens, nor a caller
 * told so. Anthropic's and Bedrock's cache reads are beside their input count and add to the
 * prompt (`anthropicInputTotal`, converse-usage.ts): there is nothing to hold.
 */
export const ofPrompt = (part: number, prompt: number): number => Math.min(part, prompt);

const detail = (details: unknown, field: string): number =>
  isJsonObject(details) ? tokenCountOrZero(details[field]) : 0;

/** Sets a part that pricing needs, only where the body reported one. */
function part(usage: Usage, name: UsageDetail, value: number): void {
  if (value > 0) usage[name] = value;
}
