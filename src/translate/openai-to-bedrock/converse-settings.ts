import type { JsonObject } from "../../core/dialect.ts";
import { claudeEffort } from "../anthropic-effort.ts";
import { type ChatTarget, targetTemperature } from "../chat-target.ts";
import type { OpenAIChatRequest } from "../openai-schema.ts";
import { stopList } from "../stop-list.ts";
import { CLAUDE } from "./converse-claude.ts";

// A chat request's settings as Converse takes them: `inferenceConfig` for every model, and what
// only Claude reads in `additionalModelRequestFields` (chat-request-to-converse.ts).

/**
 * What goes to Claude as Anthropic's own fields, which Bedrock hands it from
 * `additionalModelRequestFields`: its `thinking`, a sampling `top_k` (AWS's Converse example for
 * Claude sends `{"top_k": 200}` there) and the effort level as `output_config` (LiteLLM and
 * langchain-aws send `{"output_config": {"effort": …}}` there). Undefined when there is none of
 * them, or the model is no Claude.
 */
export function claudeFields(
  thinking: JsonObject | undefined,
  model: string,
  topK: unknown,
  asked: unknown,
): JsonObject | undefined {
  const takesTopK = typeof topK === "number" && CLAUDE.test(model);
  const effort = asked == null ? undefined : converseEffort(model, asked, thinking);
  if (!thinking && !takesTopK && !effort) return undefined;
  return {
    ...(thinking ? { thinking } : {}),
    ...(takesTopK ? { top_k: topK } : {}),
    ...(effort ? { output_config: { effort } } : {}),
  };
}

/**
 * `asked` (chat's `reasoning_effort`, a Messages caller's `output_config.effort` as written) as the
 * effort level `model` takes with `thinking`; undefined where it takes none.
 */
const converseEffort = (model: string, asked: unknown, thinking: unknown): string | undefined =>
  CLAUDE.test(model) ? claudeEffort(asked, model, thinking) : undefined;

export function inferenceConfig(request: OpenAIChatRequest, target: ChatTarget): JsonObject {
  const out: JsonObject = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) out.maxTokens = maxTokens;
  if (request.temperature != null) out.temperature = targetTemperature(target, request.temperature);
  if (request.top_p != null && !asksNothingOfClaude(request)) out.topP = request.top_p;
  const stops = converseStops(request.stop);
  if (stops.length > 0) out.stopSequences = stops;
  return out;
}

/**
 * `stop` as Converse's `stopSequences`, without an empty entry: OpenAI takes `stop: ""` (and `""`
 * in a list), Bedrock refuses the whole request for one (InferenceConfiguration.stopSequences is a
 * list of NonEmptyString, length 1 at least: ValidationException). An empty sequence stops at
 * nothing the caller could mean, so it is left out, named by the router (`stop (empty)`,
 * CONVERSE_TARGET's `emptyStops`); none left, none is sent. Whitespace goes as sent (`"\n"`, a
 * completion of one line), as Converse takes it.
 */
const converseStops = (stop: OpenAIChatRequest["stop"]): string[] =>
  stopList(stop).filter((sequence) => sequence !== "");

/**
 * `top_p: 1` beside a temperature, to Claude: it samples from every token, so asks nothing, and
 * Claude 4.5 refuses the pair (routing/refused-hint.ts), as chat-request-to-messages.ts leaves
 * it out for Anthropic. Another family keeps it: its own default may be lower (Llama's 0.9).
 */
const asksNothingOfClaude = (request: OpenAIChatRequest): boolean =>
  request.top_p === 1 && request.temperature != null && CLAUDE.test(request.model);
