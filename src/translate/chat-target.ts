import { shown } from "../core/cut-words.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { asksThinking } from "./asks-thinking.ts";
import { isFileById } from "./chat-request-parts.ts";
import type { Dropped } from "./dropped.ts";
import { isUnset, nameUncarriedFields } from "./uncarried-fields.ts";
import { nameUnreadReasoning } from "./unread-reasoning.ts";

/**
 * What another vendor's API can take of an OpenAI chat request, declared beside the translator
 * that writes it (Anthropic Messages, Bedrock Converse, Gemini). `nameUncarried` holds a request
 * against it, so each translator says what it loses in one way: named in `x-mindgw-dropped` and
 * the audit row, or refused under `translation.unsupported: reject`.
 */
export interface ChatTarget {
  /** The API, as a 400 names it ("Anthropic"). */
  readonly name: string;
  /**
   * Top-level fields the translation carries, exactly or as the target's nearest equivalent.
   * Any other field the caller set, to other than its default, is named.
   */
  readonly carries: readonly string[];
  /** The highest `temperature` the target takes: a higher one is clamped, and named. */
  readonly maxTemperature?: number;
  /** `tools[].function.strict` is carried (the target enforces a tool's schema). */
  readonly strictTools: boolean;
  /** `response_format.json_schema.strict` is carried (the target enforces the schema). */
  readonly strictFormat: boolean;
  /** The target reads Gemini's thought signatures out of tool-call ids (gemini-call-id.ts). */
  readonly signedCallIds?: boolean;
  /**
   * The target fetches a file by URL: a chat `file` part's `file_url`, which OpenAI's chat API has
   * not and only the translations into chat write (a Messages document or a Responses `input_file`
   * by URL), for this target alone (Gemini's `fileData`, Anthropic's `document` by `url` source).
   */
  readonly fileUrls?: boolean;
  /**
   * The target takes cache breakpoints (Converse's `cachePoint`): a translation into chat writes a
   * Messages caller's `cache_control` on the chat part, message or tool it marks, as LiteLLM's and
   * OpenRouter's chat API take it, for this target alone (cache-marks.ts).
   */
  readonly cacheMarks?: boolean;
  /**
   * The route's model takes Anthropic's `thinking` and Claude's signed thinking back (Converse's
   * Claude): a translation from Messages carries the caller's `thinking` as it is, and notes each
   * assistant turn's thinking blocks beside its chat message (thinking-blocks.ts), for this model alone.
   * A chat caller's `thinking` goes to it too; to another model it is named (`nameUncarried`).
   */
  readonly takesThinking?: (model: string) => boolean;
  /**
   * The route's model takes a sampling `top_k` (Claude on Converse, as Anthropic's own field in
   * `additionalModelRequestFields`): chat's `top_k` (vLLM's and OpenRouter's name), a Messages
   * caller's as it is, is carried to it; to another model it is named (`nameUncarried`).
   */
  readonly takesTopK?: (model: string) => boolean;
  /**
   * Some of the target's models take `temperature` or `top_p`, not both (Claude 4.5: 400
   * "`temperature` and `top_p` cannot both be specified for this model"), which every OpenAI model
   * takes together: a call with both is sent again without `top_p` when so refused
   * (routing/refused-hint.ts).
   */
  readonly refusesTopPWithTemperature?: boolean;
  /**
   * Most of the target's models take no `presence_penalty` or `frequency_penalty` but 0 (Gemini 2.5
   * and later: 400 "Penalty is not enabled for models/gemini-2.5-flash"; gemini-2.0-flash takes
   * them), which every OpenAI model takes: a call with one is sent again without it when so refused
   * (routing/refused-hint.ts).
   */
  readonly refusesPenalties?: boolean;
  /**
   * Some of the target's models take JSON output (`response_format`) or tools, not both (Gemini
   * 2.5: 400 "Function calling with a response mime type: 'application/json' is unsupported"),
   * which every OpenAI model takes together: a call with both is sent again without
   * `response_format` when so refused (routing/refused-hint.ts).
   */
  readonly refusesFormatWithTools?: boolean;
  /**
   * Some of the target's models take web search (`web_search_options`, as Google Search) or
   * function tools, not both (Gemini 2.x: 400 "Tool use with function calling is unsupported";
   * Gemini 3 asks for `tool_config.include_server_side_tool_invocations`, which changes its
   * answer's parts), which OpenAI's search models take together: a call with both is sent again
   * without `web_search_options` when so refused (routing/refused-hint.ts).
   */
  readonly refusesSearchWithTools?: boolean;
  /**
   * Some of the target's models give no log probabilities (Gemini 2.5 Pro on the Gemini API: 400
   * "Logprobs is not enabled for models/gemini-2.5-pro"; Vertex AI: "…Logprobs is not supported
   * for this model."), which OpenAI's chat models give: a call asking for them is sent again
   * without `logprobs` and `top_logprobs` when so refused, as a translation that could not carry
   * them named them dropped (routing/refused-hint.ts).
   */
  readonly refusesLogprobs?: boolean;
  /**
   * The most stop sequences the target takes (Gemini's `stopSequences`: up to 5): a translation
   * into chat for it sends the first so many (chat-upstream-needs.ts `maxStops`).
   */
  readonly maxStops?: number;
  /**
   * False where the target refuses an empty stop sequence (Converse's `stopSequences`, each a
   * NonEmptyString), which OpenAI takes: the translation leaves each out, named here
   * (`stop (empty)`). Unset: an empty one goes as sent.
   */
  readonly emptyStops?: boolean;
  /**
   * The `reasoning_effort` with which the target thinks least: not at all where the model can stop
   * (Gemini's `none`: `thinkingBudget: 0` on 2.5 Flash), else as little as it can (thinking-config.ts).
   * A Messages caller's `thinking: {type: "disabled"}` is written as it for this target alone.
   * Unset (an OpenAI-shaped upstream): no effort is written, as OpenAI's models have no one word for
   * off (`none` from gpt-5.1, `minimal` on gpt-5, neither on o-series, the field refused by gpt-4o),
   * and the model thinks as its default.
   */
  readonly thinkingOffEffort?: string;
  /**
   * The target shows its thinking only when asked (Gemini's thought summaries, `includeThoughts`),
   * asked in chat as OpenRouter's `include_reasoning: true`, which a translation from Messages
   * writes for a caller's `thinking` that shows it, for this target alone; the thoughts come back as
   * `reasoning_content`. Unset: the upstream says its reasoning unasked (vLLM, DeepSeek) or not at all.
   */
  readonly showsReasoningAsked?: boolean;
  /**
   * Whether `model` takes a thinking budget in tokens (Gemini 2.5's `thinkingBudget`; Gemini 3 takes
   * a level), asked in chat as OpenRouter's `reasoning.max_tokens` beside `reasoning_effort`, which
   * a translation from Messages writes for a caller's `thinking` budget to such a model, so the
   * caller's number goes, not its effort's bucket. Read only beside an effort: sent again without
   * the effort (routing/refused-hint.ts), the call goes without any thinking config. What of a
   * `reasoning` is not read is named (unread-reasoning.ts); unset, all of it.
   */
  readonly takesThinkingBudget?: (model: string) => boolean;
  /**
   * Whether the model, at the caller's `reasoning_effort` and budget (`reasoning.max_tokens`), is
   * asked for its thinking when the call asks to see it (`include_reasoning: true`): not where it
   * does not think (Gemini before 2.5), its thinking is off (2.5 Flash-Lite unasked, an effort of
   * `none`, a budget of 0), so a chat caller's own `include_reasoning` is named (`nameUnshownReasoning`).
   */
  readonly showsReasoningOf?: (model: string, body: JsonObject) => boolean;
  /**
   * Throws what the route's model refuses the whole call for (Converse: a thinking type, a forced
   * tool call, a part by URL), as the call is adapted, before any attempt opens (as claude-call.ts):
   * the route's refusal, so the next route is tried. `chat`: the chat request the provider translates.
   */
  readonly refuseUnsent?: (chat: JsonObject, model: string) => void;
  /**
   * Names what of a field it carries the target has no setting for (Gemini's Google Search tool:
   * `web_search_options.search_context_size`), as `nameUncarried` names a field it does not carry.
   */
  readonly namesLeftOut?: (body: JsonObject, dropped: Dropped) => void;
  /** Why `effort` does not go to `model` as asked with `thinking` (not sent: Gemini 2.0; sent lower: Opus 4.6's `xhigh`). */
  readonly effortNamed?: (model: string, effort: unknown, thinking: unknown) => string | undefined;
}

/**
 * `temperature` as `target` takes it: clamped to its most (Anthropic's and Converse's 1, where
 * OpenAI takes up to 2), as `nameUncarried` names it; a target with no bound gets it as sent.
 */
export const targetTemperature = (target: ChatTarget, temperature: number): number =>
  target.maxTemperature === undefined
    ? temperature
    : Math.min(target.maxTemperature, Math.max(0, temperature));

/**
 * What every target carries: the conversation, its length and sampling bounds, stop sequences,
 * streaming, the answer's format, tools and how many answers (`n`, one where the target has no such
 * count). Each target adds its own.
 */
export const CARRIED_BY_EVERY_TARGET = [
  "model",
  "messages",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "stream",
  "stream_options",
  "response_format",
  "tools",
  "tool_choice",
  "n",
] as const;

/**
 * Values that ask for nothing beyond the API's default, so leaving the field out loses nothing
 * (SDKs and frameworks often send them): `n: 1`, `logprobs: false`, `frequency_penalty: 0`, …
 * Null, `{}` and `[]` count as unset for every field.
 */
export const CHAT_DEFAULTS: JsonObject = {
  n: 1,
  logprobs: false,
  top_logprobs: 0,
  frequency_penalty: 0,
  presence_penalty: 0,
  parallel_tool_calls: true,
  store: false,
  stream: false,
  service_tier: "auto",
  modalities: ["text"],
};

/** Fields of a chat message every translator reads; of the others, these carry meaning. */
const MESSAGE_FIELDS_NAMED = ["name", "audio", "function_call"] as const;

/**
 * Names (or, under `reject`, refuses) what of `body` the `target` cannot express: top-level fields
 * it does not carry, a clamped temperature, `strict` it cannot enforce, message fields it has no
 * place for (a part's image `detail`, a file by OpenAI file id), and tool-call arguments that are
 * not a JSON object (the target wants an object, and gets `{}`). Fields outside OpenAI's chat API
 * (a vLLM sampling knob) are named too: each top-level field asks the server for something. Order:
 * the body's own, so `reject` names the first; then Anthropic's `thinking` and `top_k`, which the
 * target carries to some of its models (`takesThinking`, `takesTopK`), when `model` is not one of them.
 */
export function nameUncarried(
  body: JsonObject,
  target: ChatTarget,
  dropped: Dropped,
  /** The route's model upstream (the body's own when not said): what a field some models take is held against. */
  model: string = typeof body.model === "string" ? body.model : "",
): void {
  nameUncarriedFields(body, target.carries, CHAT_DEFAULTS, dropped);
  target.namesLeftOut?.(body, dropped);
  if (target.takesThinking && asksThinking(body.thinking) && !target.takesThinking(model))
    dropped.add(
      "thinking",
      "thinking",
      `is Anthropic's extended thinking, which ${shown(model)} does not take`,
    );
  const effortWhy = target.effortNamed?.(model, body.reasoning_effort, body.thinking);
  if (effortWhy !== undefined) dropped.add("reasoning_effort", "reasoning_effort", effortWhy);
  if (target.takesThinkingBudget)
    nameUnreadReasoning(body, target.name, target.takesThinkingBudget, model, dropped);
  if (target.takesTopK && !isUnset(body.top_k) && !target.takesTopK(model))
    dropped.add("top_k", "top_k", `is a sampling setting ${shown(model)} does not take`);
  const { temperature } = body;
  if (
    target.maxTemperature !== undefined &&
    typeof temperature === "number" &&
    temperature > target.maxTemperature
  )
    dropped.add(
      `temperature (clamped to ${target.maxTemperature})`,
      "temperature",
      `is over ${target.maxTemperature}, the most ${target.name} takes`,
    );
  if (target.emptyStops === false) nameEmptyStops(body.stop, target, dropped);
  nameInMessages(body.messages, dropped);
  if (!target.strictTools && Array.isArray(body.tools)) {
    for (const [i, tool] of body.tools.entries()) {
      if (isJsonObject(tool) && isJsonObject(tool.function) && tool.function.strict === true)
        dropped.add("tools.function.strict", `tools.${i}.function.strict`);
    }
  }
  const format = body.response_format;
  if (!target.strictFormat && isJsonObject(format) && isJsonObject(format.json_schema)) {
    if (format.json_schema.strict === true)
      dropped.add("response_format.json_schema.strict", "response_format.json_schema.strict");
  }
}

/**
 * A chat caller's own `include_reasoning: true` (OpenRouter's: show the model's thinking), which
 * the route's `model` is not asked at the call's effort (`ChatTarget.showsReasoningOf`): named, as
 * any field the translation leaves out, rather than counted as carried. A Messages caller's, which
 * its `thinking` writes, is not: adaptive thinking leaves it to the model whether to think.
 */
export function nameUnshownReasoning(
  body: JsonObject,
  target: ChatTarget,
  dropped: Dropped,
  model: string,
): void {
  if (body.include_reasoning !== true || target.showsReasoningOf === undefined) return;
  if (!target.showsReasoningOf(model, body))
    dropped.add(
      "include_reasoning",
      "include_reasoning",
      `asks to see the thinking of ${shown(model)}, which does not think, or not at this reasoning_effort`,
    );
}

/** Each empty entry of `stop`, which `target` refuses and its translation leaves out. */
function nameEmptyStops(stop: unknown, target: ChatTarget, dropped: Dropped): void {
  const why = `is empty, which ${target.name} refuses as a stop sequence`;
  if (stop === "") dropped.add("stop (empty)", "stop", why);
  else if (Array.isArray(stop))
    for (const [i, sequence] of stop.entries())
      if (sequence === "") dropped.add("stop (empty)", `stop.${i}`, why);
}

function nameInMessages(messages: unknown, dropped: Dropped): void {
  if (!Array.isArray(messages)) return;
  for (const [i, message] of messages.entries()) {
    if (!isJsonObject(message)) continue;
    for (const field of MESSAGE_FIELDS_NAMED) {
      if (!isUnset(message[field])) dropped.add(`messages.${field}`, `messages.${i}.${field}`);
    }
    if (Array.isArray(message.content)) nameInParts(message.content, `messages.${i}.content`, dropped);
    if (!Array.isArray(message.tool_calls)) continue;
    for (const [j, call] of message.tool_calls.entries()) {
      const args = isJsonObject(call) && isJsonObject(call.function) ? call.function.arguments : undefined;
      if (typeof args === "string" && args !== "" && !isObjectText(args))
        dropped.add(
          "tool_calls.arguments (not a JSON object)",
          `messages.${i}.tool_calls.${j}.function.arguments`,
          "is not a JSON object, which this model's upstream requires of a call's arguments",
        );
    }
  }
}

/**
 * What no target has a place for in a message's parts: an image's `detail` (`low`, `high`,
 * `original`; `auto` asks for nothing) — Anthropic's image block has no such setting, Converse's
 * neither, and Gemini's `mediaResolution` is one setting for every image, video and PDF of the
 * request, its levels counted differently by each model generation, where `detail` is the one
 * image's — and a file by OpenAI file id (a file in OpenAI's store, which the translators leave
 * out).
 */
function nameInParts(parts: readonly unknown[], path: string, dropped: Dropped): void {
  for (const [j, part] of parts.entries()) {
    if (!isJsonObject(part)) continue;
    const image = part.type === "image_url" && isJsonObject(part.image_url) ? part.image_url : undefined;
    if (image && !isUnset(image.detail) && image.detail !== "auto")
      dropped.add("messages.content.image_url.detail", `${path}.${j}.image_url.detail`);
    if (isFileById(part))
      dropped.add("messages.content.file.file_id", `${path}.${j}.file.file_id`, FILE_ID_WHY);
  }
}

const FILE_ID_WHY =
  "is an OpenAI Files API id, which this model's upstream cannot read; send the file as file_data";

function isObjectText(text: string): boolean {
  try {
    return isJsonObject(JSON.parse(text));
  } catch {
    return false;
  }
}
