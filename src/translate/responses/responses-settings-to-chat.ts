import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { invalidValue } from "../../core/invalid-value.ts";
import { missingParameter } from "../../core/missing-parameter.ts";
import { refuseBackground } from "../../core/refuse-background.ts";
import { refuseConversation } from "../../core/refuse-conversation.ts";
import type { Dropped } from "../dropped.ts";
import { type FormatType, isFormatType } from "../response-format-shape.ts";
import { nameUncarriedFields } from "../uncarried-fields.ts";
import { refuseUnknownBodyIncludes } from "./responses-includes.ts";
import type { ResponsesRequest } from "./responses-schema.ts";

/**
 * Every top-level Responses field the translation to chat reads, or passes over knowing it loses
 * nothing. Any other field set (`prompt`, `max_tool_calls`, `context_management`, `image`, `access_programs`, one this list has never heard of) asks the upstream for something a
 * chat request cannot: it is named, or refused under `translation.unsupported: reject`.
 */
const READ = [
  // The conversation and its tools: responses-request-to-chat.ts, responses-tools-to-chat.ts.
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  // `settings` below.
  "max_output_tokens",
  "temperature",
  "top_p",
  "user",
  "stream",
  "reasoning",
  "text",
  // Kept in the response (response-envelope.ts) and so in the store, the caller's to read back; not
  // sent: OpenAI's chat API refuses `metadata` without `store: true`, which would store the turn
  // at OpenAI too.
  "metadata",
  "service_tier",
  "prompt_cache_key",
  "prompt_cache_retention",
  "prompt_cache_options",
  "safety_identifier",
  // Chat's `moderation` is the same request; its results come back a list a side
  // (responses-moderation.ts).
  "moderation",
  "top_logprobs",
  // Refused when true (refuse-background.ts); false asks for nothing.
  "background",
  "truncation",
  // The gateway's own work: it stores the answer and expands a chain itself (responses-context.ts).
  "store",
  "previous_response_id",
  // `message.output_text.logprobs` is read; the rest asks for what the answer carries anyway
  // (`reasoning.encrypted_content`: there is none to send) or for hosted tools' output.
  "include",
  // Only `include_obfuscation`: padding against a network side channel, which a translated stream
  // never adds and no client reads.
  "stream_options",
  // Codex's identifiers of its session and turn, for OpenAI's backend: they ask the model nothing.
  "client_metadata",
];

/**
 * The caller's name for the reasoning summary it asked for, where it is named (dropped, or refused
 * by the route's model): `reasoning.generate_summary`, summary's deprecated name, where only that
 * was sent; `reasoning.summary`, the one read when both are, otherwise. `reasoning` as the caller
 * sent it, read or not.
 */
export function summaryName(reasoning: unknown): string {
  if (!isJsonObject(reasoning) || reasoning.summary || !reasoning.generate_summary)
    return "reasoning.summary";
  return "reasoning.generate_summary";
}

/** Values of unread fields that ask for nothing beyond the API's default. */
const DEFAULTS: JsonObject = { image: { context_compression: "auto" } };

/**
 * A Responses request's settings as chat fields: sampling, limits, format and the fields both APIs
 * share under other names. What chat cannot carry is named in `dropped`. `showsReasoningAsked`: the
 * upstream shows its thinking only when asked (ChatUpstreamNeeds: Gemini's thought summaries), so a
 * reasoning summary asked for is carried, as chat's `include_reasoning`, not named.
 */
export function chatSettings(
  request: ResponsesRequest,
  dropped: Dropped,
  showsReasoningAsked = false,
): JsonObject {
  refuseConversation(request);
  refuseBackground(request);
  // Translated, an `include` OpenAI does not know would ask for nothing: its 400 instead.
  refuseUnknownBodyIncludes(request);
  const out: JsonObject = {};
  // OpenAI's reasoning models refuse the deprecated `max_tokens`; a server that only knows it gets
  // it back from its preset (`legacyMaxTokens`), and every other target reads this name too.
  if (request.max_output_tokens != null) out.max_completion_tokens = request.max_output_tokens;
  if (request.temperature != null) out.temperature = request.temperature;
  if (request.top_p != null) out.top_p = request.top_p;
  if (request.user) out.user = request.user;
  if (request.reasoning?.effort) out.reasoning_effort = request.reasoning.effort;
  const summary = request.reasoning?.summary ?? request.reasoning?.generate_summary;
  if (summary && summary !== "none") {
    const name = summaryName(request.reasoning);
    if (showsReasoningAsked) out.include_reasoning = true;
    else dropped.add(name, name);
  }
  if (request.text?.verbosity) out.verbosity = request.text.verbosity;
  // Chat completions takes these under the same names.
  for (const field of SAME_NAMES) if (request[field] != null) out[field] = request[field];
  // The tokens' logprobs, asked for by `top_logprobs` or `include`: output-logprobs.ts reads them.
  if (request.top_logprobs != null || request.include?.includes("message.output_text.logprobs")) {
    out.logprobs = true;
    if (request.top_logprobs != null) out.top_logprobs = request.top_logprobs;
  }
  // OpenAI's `'auto' | 'disabled'` (null is absent): another value is its 400, in its words.
  const { truncation } = request;
  if (truncation != null && truncation !== "auto" && truncation !== "disabled")
    throw invalidValue("truncation", truncation, ["auto", "disabled"]);
  if (truncation === "auto") dropped.add("truncation", "truncation");
  if (request.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true }; // response.completed always reports usage
  }
  const format = request.text?.format;
  // OpenAI's three formats, in its words (its listing's order); json_schema needs its name.
  if (format && !isFormatType(format.type))
    throw invalidValue("text.format.type", format.type, RESPONSES_LISTING);
  if (format?.type === "json_schema") {
    if (!format.name) throw missingParameter("text.format.name");
    out.response_format = {
      type: "json_schema",
      json_schema: {
        name: format.name,
        ...(format.description ? { description: format.description } : {}),
        schema: format.schema,
        strict: format.strict ?? false,
      },
    };
  } else if (format?.type === "json_object") out.response_format = { type: "json_object" };
  nameUncarriedFields(request, READ, DEFAULTS, dropped);
  return out;
}

/** `FORMAT_TYPES` in the order OpenAI's Responses API lists them in its refusal. */
const RESPONSES_LISTING = ["json_object", "text", "json_schema"] as const satisfies readonly FormatType[];

const SAME_NAMES = [
  "service_tier",
  "prompt_cache_key",
  "prompt_cache_retention",
  "prompt_cache_options",
  "safety_identifier",
  "moderation",
] as const;
