import { readContextOverflow } from "../core/context-overflow.ts";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { type CallerNames, type CallerNaming, callerName } from "./caller-param.ts";
import { loweredEffort } from "./refused-effort.ts";

/**
 * A field that only tunes the answer, which the caller's own API takes, refused by the route's
 * model (`AdaptedCall.hints`): mostly one the translation wrote, which the caller did not send by
 * that name. The client, which never sent that field or was never refused it, cannot fall back,
 * so the router sends the call again, once a hint (dispatch-run.ts):
 * - an effort level, which Codex and Claude Code send on every request, in their own dialect's
 *   words. A model without efforts refuses the other dialect's field (Haiku 4.5: 400 "This model
 *   does not support the effort parameter."; gpt-4.1: 400 "Unsupported parameter:
 *   'reasoning_effort'…"): sent again without it.
 * - an effort level of none or minimal on Gemini, which becomes a thinking budget of 0 that a
 *   model only working in thinking mode refuses (400 "Budget 0 is invalid. This model only works
 *   in thinking mode."), where the Pro rule of openai-to-gemini does not know it: sent again
 *   without it.
 * - the thoughts asked of Gemini (`include_reasoning`: a Messages caller's `thinking` that Claude
 *   would show, a chat caller's own), which a model whose thinking is off (2.5 Flash-Lite) or
 *   that does not think (2.5 Flash Image) refuses: sent again without them, and, when the words
 *   refuse any thinking, without the effort too.
 * - `top_p` beside `temperature`, which every OpenAI model takes and OpenAI callers send together
 *   (Claude 4.5 models refuse the pair: 400 "`temperature` and `top_p` cannot both be specified for
 *   this model. Please use only one."): the caller sent `top_p` so, but asked of an OpenAI model,
 *   so the call is sent again without it, the temperature kept, on Anthropic and Converse routes.
 *   A `top_p` of 1 asks nothing and is not sent beside a temperature at all
 *   (chat-request-to-messages.ts, chat-request-to-converse.ts).
 * - a `presence_penalty` or `frequency_penalty` other than 0, which every OpenAI model takes and
 *   Gemini 2.5 and later refuse (400 "Penalty is not enabled for models/gemini-2.5-flash"; only
 *   gemini-2.0-flash takes one): sent again without it, on Gemini routes.
 * - `logprobs` (and its `top_logprobs`), which OpenAI's chat models answer and some Gemini models
 *   refuse (Gemini API: 400 "Logprobs is not enabled for models/gemini-2.5-pro"; Vertex AI: "Unable
 *   to submit request because Logprobs is not supported for this model."): sent again without
 *   both, named, the answer without them as it was when no translation carried them, on Gemini
 *   routes.
 * - a `response_format` (JSON) beside `tools`, which every OpenAI model takes together and the
 *   Agents SDK sends so for an agent with tools and an output type, and Gemini 2.5 refuses (400
 *   "Function calling with a response mime type: 'application/json' is unsupported"; Gemini 3
 *   takes both): sent again without `response_format`, the tools kept, on Gemini routes.
 * - `web_search_options` beside function `tools`, which OpenAI's search models take together and
 *   Gemini 2.x refuses (400 "Tool use with function calling is unsupported"; Gemini 3 asks for a
 *   setting that changes its answer's parts): sent again without the search, the tools kept, on
 *   Gemini routes.
 * - the `max_tokens` a translation to Messages writes when the OpenAI caller set no bound (the
 *   model's whole output limit, output-limit.ts). Anthropic refuses a prompt and `max_tokens` past
 *   the window together (400 "input length and `max_tokens` exceed context limit: P + A > W"),
 *   which an OpenAI caller hears as its context being full (Codex compacts, or gives up): sent
 *   again with `max_tokens` W − P, what the window leaves (`fits`).
 * - a Messages caller's `max_tokens`, which Claude Code sets for the Claude model it thinks it talks
 *   to (32,000 to 128,000), past the most the chat route's model writes (gpt-4o: 400 "max_tokens is
 *   too large: 32000. This model supports at most 16384 completion tokens…"; Gemini 2.5 on Vertex
 *   AI: "…maxOutputTokens value of 128000 but the supported range is from 1 (inclusive) to 65537
 *   (exclusive)…"), which the client cannot read as anything it can fix, and so meets on every
 *   request: sent again with that most (`fits`). Anthropic's own words for the same refusal lower a
 *   `max_tokens` a translation to Messages wrote alike.
 * - an effort level a translation wrote, which Claude takes only lower: a model refusing xhigh or
 *   max with thinking off ("output_config.effort 'xhigh' is not supported when thinking is
 *   disabled on this model. Use effort 'high' or below, or enable thinking.": Opus 4.8 by users'
 *   reports, with thinking left out; Opus 5 and Haiku 5.5 with it disabled, and Sonnet 5.5 with it
 *   `between_tools`, are sent high at once, anthropic-effort.ts), a model without the level
 *   ("This model does not support effort level 'xhigh'. Supported levels: …"): sent again at the
 *   level the words name (`level`: refused-effort.ts), the caller's field named, as it did not go
 *   as asked.
 * - a Messages caller's `temperature`, which Claude takes and OpenAI's reasoning models take only at
 *   its default (gpt-5: 400 "Unsupported value: 'temperature' does not support 0 with this
 *   model. Only the default (1) value is supported."; o3: "Unsupported parameter: 'temperature'…"),
 *   which Claude Code sends some calls with: sent again without it, at the model's default.
 */
export interface RefusedHint {
  /** Where it is in the upstream body: `output_config.effort`, `reasoning_effort`, `max_tokens`. */
  readonly path: string;
  /** The caller's name for it, as `x-mindgw-dropped` and the audit row name what is dropped. */
  readonly callerName: string;
  /** The value sent instead (`max_tokens` the window leaves); absent, the field goes. */
  readonly fits?: number;
  /**
   * The effort level sent instead, lower than the one refused, as the refusal names it
   * (refused-effort.ts); the caller's field is named, as with a field left out.
   */
  readonly level?: string;
  /** What bounds `fits`: the context window past the prompt, or the most the model writes. */
  readonly fitsBy?: "window" | "model";
  /**
   * The name the field goes under instead, its value kept: `max_tokens` for a
   * `max_completion_tokens` the upstream does not know (`renamedBound`).
   */
  readonly renamed?: string;
  /**
   * The other hints the same words refuse, which name no field (Gemini's "Penalty is not enabled"
   * for either penalty): left out with this one, so one call again serves for all of them.
   */
  readonly also?: readonly RefusedHint[];
}

/**
 * How upstreams say a request has a parameter this model does not take, or not at that value, and
 * its name: OpenAI's `Unsupported parameter: 'reasoning_effort' is not supported with this model.`
 * and `Unsupported value: 'temperature' does not support 0 with this model.` (codes
 * `unsupported_parameter`, `unsupported_value`, the name in `param` too), Anthropic's `This model
 * does not support the effort parameter.`, and Anthropic's schema check of a field it does not know.
 */
const REFUSALS = [
  /^Unsupported parameter: '([\w.]+)'/,
  /^Unsupported value: '([\w.]+)' does not support\b/,
  /does not support the ([\w.]+) parameter/,
  /^([\w.]+): Extra inputs are not permitted/,
];

/**
 * Refusals that do not name the field, by the fields they refuse, all of what `reasoning_effort`
 * and `include_reasoning` become on Gemini (openai-to-gemini/thinking-config.ts): a thinking budget
 * of 0, from a model that only works in thinking mode ("Budget 0 is invalid. This model only works
 * in thinking mode."); a thinking level the model has not, or any level, from a model that takes
 * none (Gemini API: "Thinking level MEDIUM is not supported for this model."; Vertex AI: "Unable to
 * submit request because thinking_level MEDIUM is not supported by this model."); thoughts asked of
 * a model whose thinking is off (2.5 Flash-Lite, Vertex AI: "Unable to submit request because
 * Thinking_config.include_thoughts is only enabled when thinking is enabled."); any thinking
 * config, from a model that does not think (Gemini 2.0, 2.5 Flash Image: Vertex AI's "Unable to
 * submit request because thinking is not supported by this model.", the Gemini API's "Thinking is
 * not enabled for models/gemini-2.0-flash"), the effort and the thoughts left out together.
 */
const UNNAMED_REFUSALS: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/^Budget 0 is invalid\b/, ["reasoning_effort"]],
  [/\bthinking[ _]level (?:\w+ )?is not supported (?:for|by) this model\b/i, ["reasoning_effort"]],
  [/\binclude_thoughts is only enabled when thinking is enabled\b/i, ["include_reasoning"]],
  [
    /\bthinking is not (?:supported by this model\b|enabled for (?:this model\b|models\/))/i,
    ["reasoning_effort", "include_reasoning"],
  ],
];

/**
 * A field the caller sent as its own API takes it, by the hint's path, and the only words that
 * refuse it: Claude 4.5's refusal of `top_p` beside `temperature`, the call going again without
 * `top_p`; Gemini's of a penalty, which names neither, the call going again without every penalty
 * sent (the same words refuse both: `RefusedHint.also`); Gemini 2.5's of JSON output beside
 * function calling (the Gemini API's words, and the same of a built-in tool), the call going again
 * without `response_format`. Not anchored: Claude on Bedrock says it after the exception's name and
 * AWS's lead ("ValidationException: The model returned the following errors: `temperature` and
 * `top_p` cannot both be specified…"); a 400 of the route the hint was written for keeps it narrow.
 */
const PENALTY_REFUSAL = /\bPenalty is not enabled for\b/;
/**
 * Gemini's refusals of log probabilities, which name no field of the caller's: the Gemini API's
 * ("Logprobs is not enabled for models/gemini-2.5-pro", and before "Logprobs is not supported for
 * the current model."), Vertex AI's ("Unable to submit request because Logprobs is not supported
 * for this model.").
 */
// Google's words (the Gemini API's, now and before, and Vertex AI's: "Logprobs is not enabled for
// models/…", "Unable to submit request because Logprobs is not supported for this model."), and any
// refusal naming log probabilities as unsupported, as Google's streaming API is reported to answer
// them in words not recorded here: a call that went through with them dropped is never failed.
const LOGPROBS_REFUSAL =
  /\b(?:response_?)?logprobs\b.*\b(?:not (?:supported|enabled|allowed)|unsupported)\b|\b(?:not supported|unsupported)\b.*\b(?:response_?)?logprobs\b/is;
/**
 * Gemini's refusals of Google Search beside function declarations: Gemini 2.x's ("Tool use with
 * function calling is unsupported", "… by the model."), Gemini 3's ("Please enable
 * tool_config.include_server_side_tool_invocations to use Built-in tools with Function calling.").
 */
const SEARCH_WITH_TOOLS_REFUSAL =
  /\bTool use with function calling is unsupported\b|\binclude_server_side_tool_invocations to use Built-in tools with Function calling\b/;
const CALLER_FIELD_REFUSALS: ReadonlyMap<string, RegExp> = new Map([
  ["top_p", /`temperature` and `top_p` cannot both be specified\b/],
  ["presence_penalty", PENALTY_REFUSAL],
  ["frequency_penalty", PENALTY_REFUSAL],
  ["response_format", /\b(?:Function calling|Tool use) with a response mime type: '[^']*' is unsupported\b/],
  ["web_search_options", SEARCH_WITH_TOOLS_REFUSAL],
  ["logprobs", LOGPROBS_REFUSAL],
  ["top_logprobs", LOGPROBS_REFUSAL],
]);

/** The hint of `hints` that an upstream's 400 refuses, if it is one of those refusals. */
export function refusedHint(error: unknown, hints: CallerNames | undefined): RefusedHint | undefined {
  if (hints === undefined || !(error instanceof GatewayError) || error.status !== 400) return undefined;
  const bound = hints.max_tokens;
  if (bound !== undefined && error.code === "context_length_exceeded") return boundThatFits(error, bound);
  const most = modelsMost(error.message);
  if (most !== undefined)
    for (const path of BOUNDS) {
      const callerName = hints[path];
      if (callerName !== undefined) return { path, callerName, fits: most, fitsBy: "model" };
    }
  const lowered = loweredEffort(error.message, hints);
  if (lowered !== undefined) return lowered;
  const refusedFields: RefusedHint[] = [];
  for (const [path, refusal] of CALLER_FIELD_REFUSALS) {
    const callerName = hints[path];
    if (callerName !== undefined && refusal.test(error.message)) refusedFields.push({ path, callerName });
  }
  const [first, ...also] = refusedFields;
  if (first !== undefined) return also.length > 0 ? { ...first, also } : first;
  const named = refusedParameters(error);
  if (named === undefined) return undefined;
  const refused: RefusedHint[] = [];
  for (const [path, callerName] of Object.entries(hints)) {
    // A bound on the answer is lowered to what fits, never left out: an upstream that names it
    // refused ("Unsupported parameter: 'max_completion_tokens'") would otherwise get the call
    // again with no bound at all, writing up to its model's most for a caller that set one.
    if (CALLER_FIELD_REFUSALS.has(path) || isBound(path)) continue;
    if (named.some((field) => path === field || path.endsWith(`.${field}`) || CHAT_NAMES[field] === path))
      refused.push({ path, callerName });
  }
  const [hint, ...alongside] = refused;
  return hint !== undefined && alongside.length > 0 ? { ...hint, also: alongside } : hint;
}

/**
 * A chat request's `max_completion_tokens` that its upstream refuses as a field it does not know,
 * to be sent as `max_tokens`, the older name every OpenAI-compatible server reads for the same
 * bound (a server that knows only that one is a preset's `legacyMaxTokens`; this is one no preset
 * names): Mistral's API ("max_completion_tokens: Extra inputs are not permitted", its 422),
 * Azure OpenAI's older API versions ("Unrecognized request argument supplied:
 * max_completion_tokens"), a server that says "Unsupported parameter: 'max_completion_tokens'".
 * The caller's bound is kept, only its name changes, whichever dialect the caller speaks (its own
 * field, or one a translation wrote for its `max_tokens` or `max_output_tokens`). Undefined for
 * any other failure, or a body without the field (sent once renamed, it is not renamed again).
 */
export function renamedBound(
  error: unknown,
  body: JsonObject,
  names?: CallerNaming,
): RefusedHint | undefined {
  if (body.max_completion_tokens == null || !(error instanceof GatewayError)) return undefined;
  if (error.status !== 400 && error.status !== 422) return undefined;
  const unknown =
    (error.upstream?.code === "unsupported_parameter" && error.param === BOUND) ||
    UNKNOWN_BOUND.some((refusal) => refusal.test(error.message));
  if (!unknown) return undefined;
  return { path: BOUND, callerName: callerName(names, BOUND) ?? BOUND, renamed: "max_tokens" };
}

const BOUND = "max_completion_tokens";

/** How servers refuse a `max_completion_tokens` they do not know, the field named. */
const UNKNOWN_BOUND = [
  // FastAPI's check of a request with a field its schema has not (core/fastapi-error.ts), one
  // entry of several ("store: Extra inputs are not permitted; max_completion_tokens: …").
  /(?:^|; )max_completion_tokens: Extra inputs are not permitted\b/,
  /^Unrecognized request argument supplied: max_completion_tokens\b/,
  /^Unsupported parameter: 'max_completion_tokens'/,
];

/**
 * A field Claude's refusal names by Anthropic's word, by chat's name for it in a body translated to
 * chat before the provider writes Claude's own (Converse: `reasoning_effort` goes as
 * `additionalModelRequestFields.output_config.effort`, refused as "the effort parameter").
 */
const CHAT_NAMES: Readonly<Record<string, string>> = { effort: "reasoning_effort" };

/** Where a bound on the answer is, by dialect: Messages' `max_tokens`, chat's `max_completion_tokens`. */
const BOUNDS = ["max_tokens", "max_completion_tokens"] as const;
const isBound = (path: string): boolean => (BOUNDS as readonly string[]).includes(path);

/**
 * How upstreams refuse a bound past the most their model writes, that most in the first group and,
 * for a bound said exclusive, one past it: OpenAI's, Google's (Vertex AI), Anthropic's, Bedrock
 * Converse's (which takes the limit it names).
 */
const MOST_REFUSALS: ReadonlyArray<readonly [RegExp, number]> = [
  [/\bThis model supports at most (\d+) completion tokens\b/, 0],
  [
    /\bmaxOutputTokens value of \d+ but the supported range is from 1 \(inclusive\) to (\d+) \(exclusive\)/,
    1,
  ],
  [/\bmax_tokens: \d+ > (\d+), which is the maximum allowed number of output tokens\b/, 0],
  [/\bThe maximum tokens you requested exceeds the model limit of (\d+)\b/, 0],
];

/** The most the model writes, by the refusal's words; undefined when they say none. */
function modelsMost(message: string): number | undefined {
  for (const [refusal, past] of MOST_REFUSALS) {
    const most = Number(refusal.exec(message)?.[1] ?? Number.NaN) - past;
    if (Number.isSafeInteger(most) && most > 0) return most;
  }
  return undefined;
}

/**
 * The written `max_tokens` lowered to what Anthropic's refusal says the window leaves past the
 * prompt; none when the refusal gives no such numbers, or the prompt alone fills the window.
 */
function boundThatFits(error: GatewayError, callerName: string): RefusedHint | undefined {
  const overflow = readContextOverflow(error.message);
  if (overflow?.answer === undefined || overflow.prompt >= overflow.window) return undefined;
  return { path: "max_tokens", callerName, fits: overflow.window - overflow.prompt };
}

/** The fields the refusal names, or, for one that names none, those its words refuse. */
function refusedParameters(error: GatewayError): readonly string[] | undefined {
  const code = error.upstream?.code;
  if ((code === "unsupported_parameter" || code === "unsupported_value") && error.param) return [error.param];
  for (const refusal of REFUSALS) {
    const named = refusal.exec(error.message)?.[1];
    if (named) return [named];
  }
  for (const [refusal, fields] of UNNAMED_REFUSALS) if (refusal.test(error.message)) return fields;
  return undefined;
}
