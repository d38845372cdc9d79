import { shown } from "../../core/cut-words.ts";
import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { imageUrlOf, messageText, userContentParts } from "../chat-request-parts.ts";
import { CARRIED_BY_EVERY_TARGET, type ChatTarget } from "../chat-target.ts";
import { type DataUrl, notBase64, readDataUrl } from "../data-url.ts";
import { hasText } from "../has-text.ts";
import {
  type OpenAIChatRequest,
  type OpenAIContentPart,
  type OpenAIMessage,
  openAISchemas,
} from "../openai-schema.ts";
import { parseBody, parseToolArguments } from "../parse-body.ts";
import { stopList } from "../stop-list.ts";
import { refuseUnreadLastTurn, type UnreadTurnWords } from "../unread-last-turn.ts";
import { readGeminiCallId, UNSIGNED_CALL_SIGNATURE } from "./gemini-call-id.ts";
import { geminiToolSchema } from "./gemini-tool-schema.ts";
import { googleSearchTool, nameUnsearchable } from "./google-search-tool.ts";
import { effortUnsent, takesThinkingBudget, thinkingConfig } from "./thinking-config.ts";

type Role = "user" | "model";

/** What `generateContent` can take of a chat request; the router names the rest. */
export const GEMINI_TARGET: ChatTarget = {
  name: "Gemini",
  carries: [
    ...CARRIED_BY_EVERY_TARGET,
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "reasoning_effort",
    "logprobs",
    "top_logprobs",
    "include_reasoning",
    "reasoning",
    // As Google Search grounding (google-search-tool.ts).
    "web_search_options",
  ],
  namesLeftOut: nameUnsearchable,
  strictTools: false,
  strictFormat: true,
  signedCallIds: true,
  fileUrls: true,
  refusesPenalties: true,
  refusesFormatWithTools: true,
  refusesSearchWithTools: true,
  refusesLogprobs: true,
  maxStops: 5,
  thinkingOffEffort: "none",
  showsReasoningAsked: true,
  takesThinkingBudget,
  effortNamed: (model, effort) =>
    effortUnsent(model, effort) ? `is an effort ${shown(model)} does not take` : undefined,
  showsReasoningOf: (model, body) => thinkingOf(model, body, true)?.includeThoughts === true,
};

/**
 * The `thinkingConfig` a chat body asks of `model`: its `reasoning_effort`, OpenRouter's
 * `reasoning.max_tokens` beside it as the budget, the thoughts when `show`.
 */
const thinkingOf = (model: unknown, body: JsonObject, show: boolean): JsonObject | undefined =>
  thinkingConfig(
    model,
    body.reasoning_effort,
    show,
    isJsonObject(body.reasoning) ? body.reasoning.max_tokens : undefined,
  );

/**
 * OpenAI chat.completions request → Gemini `generateContent` request (Gemini API and Vertex
 * AI take the same body; the model goes in the URL). JSON Schemas pass as
 * `parametersJsonSchema`/`responseJsonSchema`, so nothing is lost converting to OpenAPI types (a
 * tool's references written out: gemini-tool-schema.ts).
 *
 * What it leaves out (`logit_bias`, `user`, `parallel_tool_calls: false`, `strict` tools, …) is
 * named by the router (GEMINI_TARGET).
 * Images and files: `data:` URLs inline; other URLs as `fileData` (Gemini fetches `gs://` and https).
 */
export function chatRequestToGemini(body: JsonObject): JsonObject {
  const request = parseBody(openAISchemas().chatRequest, body, "request");
  const system: JsonObject[] = [];
  const contents: Array<{ role: Role; parts: JsonObject[] }> = [];
  const toolNames = new Map<string, string>();
  const push = (role: Role, parts: JsonObject[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const [i, message] of request.messages.entries()) {
    if (message.role === "system" || message.role === "developer") {
      const text = messageText(message);
      if (hasText(text)) system.push({ text });
    } else if (message.role === "assistant") push("model", modelParts(message, toolNames));
    else if (message.role === "tool") push("user", [functionResponse(message, i, toolNames)]);
    else push("user", userParts(message, i));
  }
  refuseUnreadLastTurn(request.messages, contents, GEMINI_WORDS);
  const out: JsonObject = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system };
  const generation = generationConfig(request, body);
  if (Object.keys(generation).length > 0) out.generationConfig = generation;
  const search = googleSearchTool(body.web_search_options);
  if (request.tools?.length) {
    out.tools = [
      {
        functionDeclarations: request.tools.map(({ function: fn }) => ({
          name: fn.name,
          ...(fn.description !== undefined ? { description: fn.description } : {}),
          parametersJsonSchema: fn.parameters
            ? geminiToolSchema(fn.parameters)
            : { type: "object", properties: {} },
        })),
      },
      ...(search ? [search] : []),
    ];
    const choice = request.tool_choice;
    if (choice === "required") out.toolConfig = { functionCallingConfig: { mode: "ANY" } };
    else if (choice === "none") out.toolConfig = { functionCallingConfig: { mode: "NONE" } };
    else if (choice && choice !== "auto")
      out.toolConfig = {
        functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] },
      };
  } else if (search) out.tools = [search];
  return out;
}

/** A conversation left ending on the model's turn: Gemini continues it as its own. */
const GEMINI_WORDS: UnreadTurnWords = { model: "Gemini", endingOnModel: "which Gemini would continue" };

function generationConfig(request: OpenAIChatRequest, body: JsonObject): JsonObject {
  const out: JsonObject = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) out.maxOutputTokens = maxTokens;
  if (request.temperature != null) out.temperature = request.temperature;
  if (request.top_p != null) out.topP = request.top_p;
  if (request.n != null) out.candidateCount = request.n;
  // None is no list: Google refuses `stopSequences: []` (400 "a stopSequences value of 0 but the
  // supported range is from 1"), where OpenAI takes `stop: []` as no stop sequences.
  const stops = stopList(request.stop);
  if (stops.length > 0) out.stopSequences = stops;
  if (typeof body.seed === "number") out.seed = body.seed;
  if (typeof body.presence_penalty === "number") out.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === "number") out.frequencyPenalty = body.frequency_penalty;
  // The tokens' log probabilities, and the likeliest N at each step (Gemini's 1–20, chat's 0–20:
  // none sent for 0). `top_logprobs` without `logprobs`, which OpenAI requires beside it, is not
  // sent: Gemini's `logprobs` means nothing without `responseLogprobs` either (as the mock reads it).
  if (body.logprobs === true) {
    out.responseLogprobs = true;
    if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) out.logprobs = body.top_logprobs;
  }
  const format = request.response_format;
  if (format && format.type !== "text") {
    out.responseMimeType = "application/json";
    if (format.type === "json_schema" && format.json_schema?.schema !== undefined)
      out.responseJsonSchema = format.json_schema.schema;
  }
  const thinking = thinkingOf(body.model, body, body.include_reasoning === true);
  if (thinking !== undefined) out.thinkingConfig = thinking;
  return out;
}

/**
 * A model turn: its text, then its function calls, each with the signature its id carries
 * (gemini-call-id.ts). A turn none of whose calls is signed gets Google's placeholder on its
 * first call, where Gemini 3 looks for one; the others stay unsigned, as Gemini sends them.
 */
function modelParts(message: OpenAIMessage, toolNames: Map<string, string>): JsonObject[] {
  const text = messageText(message);
  const calls: JsonObject[] = (message.tool_calls ?? []).map((call) => {
    toolNames.set(call.id, call.function.name);
    const { id, signature } = readGeminiCallId(call.id);
    const functionCall = { id, name: call.function.name, args: parseToolArguments(call.function.arguments) };
    return signature === undefined ? { functionCall } : { functionCall, thoughtSignature: signature };
  });
  const [first] = calls;
  if (first && !calls.some((part) => "thoughtSignature" in part))
    first.thoughtSignature = UNSIGNED_CALL_SIGNATURE;
  return hasText(text) ? [{ text }, ...calls] : calls;
}

/**
 * Gemini names the function a result answers; OpenAI only its call id, so the name is looked up.
 * A result that is a JSON object goes as that object, unless a `$ref` is in it: Gemini reads one
 * there as naming a part of the response's own (multimodal function responses) and refuses the
 * call when none has that name (400 "The referenced name `#/$defs/X` in function_response.response
 * does not match to a display_name…": a tool whose result is a JSON Schema), so it goes as text.
 */
function functionResponse(message: OpenAIMessage, i: number, toolNames: Map<string, string>): JsonObject {
  const shown = message.tool_call_id;
  const name = shown ? toolNames.get(shown) : undefined;
  if (!shown || !name)
    throw badRequest(
      `messages.${i}.tool_call_id: does not answer a tool call earlier in the conversation`,
      `messages.${i}.tool_call_id`,
    );
  const text = messageText(message);
  const parsed = parseToolArguments(text);
  const response = Object.keys(parsed).length > 0 && !holdsReference(parsed) ? parsed : { result: text };
  return { functionResponse: { id: readGeminiCallId(shown).id, name, response } };
}

/**
 * A user message's parts: images and files as `inlineData` (data: URLs) or `fileData` (a URL Gemini
 * fetches: an image's https or gs:// URL, a document's `file_url`, ChatTarget.fileUrls); audio as
 * `inlineData`.
 */
function userParts(message: OpenAIMessage, i: number): JsonObject[] {
  return userContentParts(message, i, (part, path) => {
    const url =
      part.type === "image_url" ? imageUrlOf(part) : part.type === "file" ? part.file?.file_data : undefined;
    const data = url === undefined ? undefined : readDataUrl(url);
    if (data) return inlineData(data, path, part.type);
    if (url !== undefined && part.type === "image_url")
      return { fileData: { mimeType: mimeOf(url, "image/jpeg"), fileUri: url } };
    if (part.type === "input_audio") return audioPart(part, path);
    const fileUrl = part.type === "file" ? part.file?.file_url : undefined;
    if (fileUrl !== undefined)
      return { fileData: { mimeType: mimeOf(fileUrl, "application/pdf"), fileUri: fileUrl } };
    throw badRequest(`${path}: content part "${shown(part.type)}" is not supported on this model`, path);
  });
}

/**
 * A data: URL as `inlineData`: base64 of a type it names. Any other is the caller's 400 at `path`,
 * saying why (its own form, whose text Gemini would not be sent decoded; no type, which Gemini
 * must be told).
 */
function inlineData(data: DataUrl, path: string, part: string): JsonObject {
  if (!data.base64) throw notBase64(path, part, data);
  if (data.mediaType === "")
    throw badRequest(
      `${path}: part "${part}" holds a data: URL that names no media type: name it (data:application/pdf;base64,…)`,
      path,
    );
  return { inlineData: { mimeType: data.mediaType, data: data.data } };
}

/** The audio formats Gemini reads, by chat's name for them (OpenAI's API names wav and mp3). */
const AUDIO_FORMATS = ["wav", "mp3", "aiff", "aac", "ogg", "flac"];

/** A chat `input_audio` part (base64 and its format) as Gemini's `inlineData`. */
function audioPart(part: OpenAIContentPart, path: string): JsonObject {
  const { data, format } = part.input_audio ?? {};
  if (data === undefined) throw badRequest(`${path}.input_audio.data: required`, `${path}.input_audio.data`);
  if (format === undefined || !AUDIO_FORMATS.includes(format))
    throw badRequest(
      `${path}.input_audio.format: this model takes audio as ${AUDIO_FORMATS.join(", ")}`,
      `${path}.input_audio.format`,
    );
  return { inlineData: { mimeType: `audio/${format}`, data } };
}

/** A URL's media type by its extension; `otherwise` when it has none Gemini's list names. */
function mimeOf(url: string, otherwise: string): string {
  const extension = /\.([a-z0-9]+)(?:\?|#|$)/i.exec(url)?.[1]?.toLowerCase();
  if (extension === "png") return "image/png";
  if (extension === "jpg" || extension === "jpeg") return "image/jpeg";
  if (extension === "webp") return "image/webp";
  if (extension === "gif") return "image/gif";
  if (extension === "pdf") return "application/pdf";
  return otherwise;
}

/** Whether a `$ref` key is anywhere in a JSON value. */
function holdsReference(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsReference);
  if (!isJsonObject(value)) return false;
  return "$ref" in value || Object.values(value).some(holdsReference);
}
