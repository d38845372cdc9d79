import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { ChatTarget } from "../translate/chat-target.ts";
import type { CallerNames } from "./caller-param.ts";

// Which fields of a translated body are hints (refused-hint.ts): what a translation wrote, or the
// caller sent, that the route's model may refuse where the caller's own API takes it.

/** The caller's names for what a translation may write of its own (`translationHints`). */
export interface HintNames {
  /** For the effort level: `reasoning_effort`, `reasoning.effort`. */
  readonly effort: string;
  /** For the bound on the answer: `max_completion_tokens`, `max_output_tokens`. */
  readonly bound: string;
  /** For the JSON output asked for: `response_format`, `text.format`. */
  readonly format: string;
  /** For the tokens' log probabilities asked for: `logprobs`, a Responses call's `top_logprobs`. */
  readonly logprobs?: string;
  /** For the thoughts asked for (chat's `include_reasoning`): a Responses call's `reasoning.summary`. */
  readonly thoughts?: string;
}

/**
 * What of a translated body `sent` the route's model may refuse where the caller's own API takes
 * it, by its path there: the effort level it writes (`effortHint`), a `max_tokens` the chat
 * request it was translated from (`chat`) had no bound for, and the caller's own fields
 * `target`, the API `sent` goes to, has models that refuse (`callerFieldHints`). Undefined when there
 * is none; an object is made only when there are several.
 */
export function translationHints(
  sent: JsonObject,
  chat: JsonObject,
  names: HintNames,
  target: ChatTarget | undefined,
): CallerNames | undefined {
  const effort = effortHint(sent, names.effort);
  const wroteBound = sent.max_tokens != null && chat.max_tokens == null && chat.max_completion_tokens == null;
  const own = callerFieldHints(sent, target, names.format, names.logprobs, names.thoughts);
  if (wroteBound) return { ...effort, ...own, max_tokens: names.bound };
  return effort === undefined || own === undefined ? (effort ?? own) : { ...effort, ...own };
}

/**
 * The caller's own fields in `sent` that some of `target`'s models refuse where the caller's OpenAI
 * API takes them: `top_p` beside `temperature` (`ChatTarget.refusesTopPWithTemperature`: Claude's),
 * a penalty other than 0 (`ChatTarget.refusesPenalties`), a JSON `response_format` beside tools
 * (`ChatTarget.refusesFormatWithTools`: Gemini's), `web_search_options` beside tools
 * (`ChatTarget.refusesSearchWithTools`: Gemini's), `logprobs` and its `top_logprobs`
 * (`ChatTarget.refusesLogprobs`: Gemini's). Each is matched by that refusal alone
 * (`CALLER_FIELD_REFUSALS`), never by one that names the field, which is the caller's own. And
 * `include_reasoning` (`ChatTarget.showsReasoningAsked`: Gemini's thoughts), which a model whose
 * thinking is off refuses in words that name no field of the caller's (`UNNAMED_REFUSALS`).
 * Undefined for any other target, or a body without them. `formatName`, `logprobsName`: the
 * caller's names for the format and the log probabilities (a Responses caller's `text.format`,
 * `top_logprobs`); `thoughtsName`, for the thoughts (a Responses caller's `reasoning.summary`).
 */
export function callerFieldHints(
  sent: JsonObject,
  target: ChatTarget | undefined,
  formatName = "response_format",
  logprobsName?: string,
  thoughtsName = "include_reasoning",
): CallerNames | undefined {
  const topP = target?.refusesTopPWithTemperature === true && sent.temperature != null && sent.top_p != null;
  if (
    !target?.refusesPenalties &&
    !target?.refusesFormatWithTools &&
    !target?.refusesSearchWithTools &&
    !target?.refusesLogprobs &&
    !target?.showsReasoningAsked
  )
    return topP ? TOP_P : undefined;
  const out: Record<string, string> = topP ? { ...TOP_P } : {};
  if (target.refusesPenalties)
    for (const penalty of PENALTIES)
      if (typeof sent[penalty] === "number" && sent[penalty] !== 0) out[penalty] = penalty;
  if (target.refusesFormatWithTools && asksJson(sent) && hasTools(sent)) out.response_format = formatName;
  if (target.refusesSearchWithTools && sent.web_search_options != null && hasTools(sent))
    out.web_search_options = "web_search_options";
  if (target.refusesLogprobs && sent.logprobs === true) {
    out.logprobs = logprobsName ?? "logprobs";
    // Left out with it: alone it asks for nothing, and a caller that set it hears it went.
    if (sent.top_logprobs != null) out.top_logprobs = logprobsName ?? "top_logprobs";
  }
  // Asked of a model whose thinking is off, or that does not think, the thoughts are refused.
  if (target.showsReasoningAsked && sent.include_reasoning === true) out.include_reasoning = thoughtsName;
  return Object.keys(out).length > 0 ? out : undefined;
}

const TOP_P: CallerNames = { top_p: "top_p" };
const PENALTIES = ["presence_penalty", "frequency_penalty"] as const;

const hasTools = (sent: JsonObject): boolean => Array.isArray(sent.tools) && sent.tools.length > 0;

/** A `response_format` other than text: JSON, which a translation asks for by its own field. */
const asksJson = (sent: JsonObject): boolean =>
  isJsonObject(sent.response_format) && sent.response_format.type !== "text";

/**
 * The effort level a translated body sets, by its path there, with `callerName` for it: Messages'
 * `output_config.effort`, chat's `reasoning_effort`. Undefined when it sets none.
 */
export function effortHint(body: JsonObject, callerName: string): CallerNames | undefined {
  if (isJsonObject(body.output_config) && body.output_config.effort != null)
    return { "output_config.effort": callerName };
  if (body.reasoning_effort != null) return { reasoning_effort: callerName };
  return undefined;
}
