import type { JsonObject, Operation } from "../../core/dialect.ts";
import { hostOf } from "../host-of.ts";
import { forMistral } from "./mistral-chat.ts";
import { withMistralDimension } from "./mistral-embeddings.ts";

/** What a named OpenAI-compatible vendor needs beyond `type: openai`. */
export interface OpenAIPreset {
  /** Used when the provider's config names no `base_url`. */
  baseUrl: string;
  headers?: Record<string, string>;
  /**
   * The server knows `max_tokens` but not OpenAI's newer `max_completion_tokens`: the field is
   * renamed before the request leaves (every OpenAI-compatible server takes `max_tokens`).
   */
  legacyMaxTokens?: boolean;
  /**
   * Fields of OpenAI's chat request the server does not know and refuses a request for whole
   * (Azure OpenAI's API versions before 2024-09-01-preview: `stream_options`, `parallel_tool_calls`,
   * azure-api-version.ts): left out (`withoutFields`), each that asked for something named
   * (unknown-fields-left-out.ts). Without `stream_options`, which the gateway asks of every chat
   * stream for its usage, the stream's usage is the gateway's estimate, as for any server that
   * says none.
   */
  unknownFields?: readonly string[];
  /**
   * The server is Mistral's API, which refuses fields of OpenAI's chat request its schema has not
   * and checks the order of a chat's messages and the form of its tool-call ids
   * (mistral-chat.ts): a chat request is sent in a form it takes, and an answer that repeats the
   * prefix it continues goes without it (echoed-prefix.ts).
   */
  mistralChat?: boolean;
  /** The vendor wants its reasoning back on past turns (Provider's `wantsReasoningBack`). */
  wantsReasoningBack?: boolean;
  /**
   * `gen_ai.provider.name` for its calls, where the OpenTelemetry GenAI conventions list the vendor
   * (the others are known by the API they speak, `openai`).
   */
  vendor?: string;
}

/** `preset:` values for `type: openai` providers; docs/PROVIDERS.md lists them. */
export const OPENAI_PRESETS = {
  openrouter: { baseUrl: "https://openrouter.ai/api/v1", headers: { "X-Title": "mindgw" } },
  groq: { baseUrl: "https://api.groq.com/openai/v1", vendor: "groq" },
  together: { baseUrl: "https://api.together.xyz/v1" },
  mistral: {
    baseUrl: "https://api.mistral.ai/v1",
    legacyMaxTokens: true,
    mistralChat: true,
    vendor: "mistral_ai",
  },
  // Thinking mode refuses a tool-call turn sent back without its `reasoning_content`
  // (api-docs.deepseek.com/guides/thinking_mode#tool-calls).
  deepseek: {
    baseUrl: "https://api.deepseek.com/v1",
    legacyMaxTokens: true,
    wantsReasoningBack: true,
    vendor: "deepseek",
  },
  // Its usage counts reasoning beside completion_tokens: read so wherever usage is read, for any
  // upstream that counts so (translate/usage-mapping.ts, answerTokens), so no quirk here.
  xai: { baseUrl: "https://api.x.ai/v1", vendor: "x_ai" },
  fireworks: { baseUrl: "https://api.fireworks.ai/inference/v1" },
  ollama: { baseUrl: "http://127.0.0.1:11434/v1", legacyMaxTokens: true },
  vllm: { baseUrl: "http://127.0.0.1:8000/v1" },
  "llama.cpp": { baseUrl: "http://127.0.0.1:8080/v1", legacyMaxTokens: true },
  tgi: { baseUrl: "http://127.0.0.1:8080/v1", legacyMaxTokens: true },
} as const satisfies Record<string, OpenAIPreset>;

export type OpenAIPresetName = keyof typeof OPENAI_PRESETS;
export const OPENAI_PRESET_NAMES = Object.keys(OPENAI_PRESETS) as [OpenAIPresetName, ...OpenAIPresetName[]];

/**
 * The preset a host is known by without `preset:`: Mistral's API, which refuses fields and
 * message orders OpenAI's takes (422 "Extra inputs are not permitted", 400), so that Claude Code
 * fails every request on a `type: openai` provider pointed at it without the preset. That host
 * alone: a proxy or another server in front of Mistral's models is not assumed to check as it does.
 */
const PRESET_OF_HOST: Readonly<Record<string, OpenAIPresetName>> = { "api.mistral.ai": "mistral" };

/**
 * The preset of a `type: openai` provider: its own `preset:`, which wins, else the one its
 * `base_url`'s host is known by (`PRESET_OF_HOST`). Asked once a provider, at config load.
 */
export function presetOf(config: {
  readonly preset?: OpenAIPresetName | undefined;
  readonly base_url?: string | undefined;
}): OpenAIPresetName | undefined {
  if (config.preset !== undefined) return config.preset;
  const host = hostOf(config.base_url);
  return host !== undefined && Object.hasOwn(PRESET_OF_HOST, host) ? PRESET_OF_HOST[host] : undefined;
}

/** A preset's quirks, with or without where it is: an API version's (Azure's) have no base URL. */
export type PresetQuirks = Partial<OpenAIPreset>;

/**
 * Applies a preset's request quirks to a body about to go upstream (a copy when it changes): an
 * embeddings call's (`operation`) to Mistral names its vector's length as Mistral does.
 */
export function applyPresetQuirks(
  preset: PresetQuirks | undefined,
  body: JsonObject,
  operation?: Operation,
): JsonObject {
  if (!preset) return body;
  const bounded = preset.legacyMaxTokens ? withLegacyMaxTokens(body) : body;
  const known = preset.unknownFields ? withoutFields(bounded, preset.unknownFields) : bounded;
  if (!preset.mistralChat) return known;
  return forMistral(operation === "embeddings" ? withMistralDimension(known) : known);
}

/** The body without `fields` (a copy when it has any of them). */
function withoutFields(body: JsonObject, fields: readonly string[]): JsonObject {
  if (!fields.some((field) => body[field] !== undefined)) return body;
  const rest = { ...body };
  for (const field of fields) delete rest[field];
  return rest;
}

/**
 * `max_completion_tokens` sent as `max_tokens`, the name every OpenAI-compatible server reads
 * (a copy when it changes; a `max_tokens` the body has already wins).
 */
export function withLegacyMaxTokens(body: JsonObject): JsonObject {
  if (body.max_completion_tokens == null) return body;
  const { max_completion_tokens, ...rest } = body;
  return { ...rest, max_tokens: body.max_tokens ?? max_completion_tokens };
}
