import { isJsonObject, type JsonObject } from "../../src/core/dialect.ts";
import { mistralEmbeddings } from "./mistral-embeddings.ts";

// Test support, not shipped: Mistral's chat completions API as far as the gateway's requests meet
// its checks. Its checks are mistral-common's validator in serving mode
// (mistral_common/protocol/instruct/validator.py, MistralRequestValidatorV13: the message order,
// the last role, each call answered by its id, ids of 9 letters and digits) and its request
// schema's refusal of fields it has not (pydantic's `extra_forbidden`). Its 400s are the API's own
// words and bodies as callers met them (`invalid_request_message_order`, code 3230:
// datapizza-ai #98, zed #37021; `invalid_function_call`, code 3280: eca #233, mistral-vibe #1075),
// its 422 as openclaude #739 quotes it. An answer to a conversation ending on an assistant prefix
// begins with the prefix again, as Mistral's does (its prefix guide reads from `len(prefix)`).

/** What the fake answers with when it refuses: the status and the body. */
export interface MistralRefusal {
  readonly status: number;
  readonly body: JsonObject;
}

/**
 * The fields of Mistral's chat request (its API's schema, as its TypeScript SDK has it:
 * mistralai/client-ts `ChatCompletionStreamRequest`, 2026-08), and of each message by its role.
 * Any other is refused, 422 `extra_forbidden` ("We have enhanced the API's strictness … If you have
 * unsupported parameters in your request, you will see the error message 'Extra inputs are not
 * permitted.'", its changelog), as callers met it for `store` and `max_completion_tokens`
 * (openclaude #739), `stream_options.include_usage` (openai-agents-python #442, avante.nvim #2347),
 * `user` (LibreChat's Mistral example), an assistant's `reasoning_content` (crush #1590).
 */
const REQUEST_FIELDS = new Set([
  "model",
  "temperature",
  "top_p",
  "max_tokens",
  "stream",
  "stop",
  "random_seed",
  "metadata",
  "messages",
  "response_format",
  "tools",
  "tool_choice",
  "presence_penalty",
  "frequency_penalty",
  "n",
  "prediction",
  "parallel_tool_calls",
  "reasoning_effort",
  "prompt_mode",
  "guardrails",
  "prompt_cache_key",
  "safe_prompt",
]);
const MESSAGE_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  system: new Set(["role", "content"]),
  user: new Set(["role", "content"]),
  assistant: new Set(["role", "content", "tool_calls", "prefix"]),
  tool: new Set(["role", "content", "tool_call_id", "name"]),
};

type Extra = { loc: (string | number)[]; input: unknown; type?: string; msg?: string };

/** Every field of `body` Mistral's schema has not, where its 422 says it (`loc`), and its value. */
function extraFields(body: JsonObject): Extra[] {
  const extra: Extra[] = [];
  for (const [field, input] of Object.entries(body)) {
    if (REQUEST_FIELDS.has(field)) continue;
    // `stream_options` is said by its one field (its 422: `["body","stream_options","include_usage"]`).
    if (field === "stream_options" && isJsonObject(input))
      for (const [inner, value] of Object.entries(input))
        extra.push({ loc: ["body", field, inner], input: value });
    else extra.push({ loc: ["body", field], input });
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const [i, message] of messages.entries()) {
    if (!isJsonObject(message)) continue;
    const known = MESSAGE_FIELDS[String(message.role)];
    if (!known) {
      // Pydantic's refusal of a role its union of messages has not (`developer`).
      extra.push({
        type: "union_tag_invalid",
        loc: ["body", "messages", i],
        msg: `Input tag '${String(message.role)}' found using 'role' does not match any of the expected tags: 'assistant', 'system', 'tool', 'user'`,
        input: message,
      });
      continue;
    }
    for (const [field, input] of Object.entries(message))
      if (!known.has(field)) extra.push({ loc: ["body", "messages", i, String(message.role), field], input });
    extra.push(...fileChunkErrors(message, i));
  }
  return extra;
}

/**
 * A message's `file` parts as Mistral's schema reads them: its `FileChunk` is `{type: "file",
 * file_id}`, a file uploaded to Mistral (mistralai/client-ts `FileChunk`), so OpenAI's
 * `{type: "file", file: {…}}` lacks `file_id` and has a field it forbids.
 */
function fileChunkErrors(message: JsonObject, i: number): Extra[] {
  const parts = Array.isArray(message.content) ? message.content : [];
  const errors: Extra[] = [];
  for (const [j, part] of parts.entries()) {
    if (!isJsonObject(part) || part.type !== "file") continue;
    const loc = ["body", "messages", i, String(message.role), "content", j, "file"];
    if (typeof part.file_id !== "string")
      errors.push({ type: "missing", loc: [...loc, "file_id"], msg: "Field required", input: part });
    for (const [field, input] of Object.entries(part))
      if (field !== "type" && field !== "file_id") errors.push({ loc: [...loc, field], input });
  }
  return errors;
}

const ORDER = (message: string): MistralRefusal => ({
  status: 400,
  body: { object: "error", message, type: "invalid_request_message_order", param: null, code: "3230" },
});

const FOLLOWS: Readonly<Record<string, readonly string[]>> = {
  system: ["user", "assistant", "system"],
  user: ["assistant", "system", "user"],
  assistant: ["assistant", "user", "tool"],
  tool: ["assistant", "tool"],
};

const MISTRAL_ID = /^[a-zA-Z0-9]{9}$/;

/** Mistral's models, by name: the fake upstream checks a request to one as Mistral's API does. */
export const MISTRAL_MODEL = /^(mistral|devstral|codestral|magistral|ministral)-/;

/** A call id as Mistral mints them: 9 letters and digits. */
export function mistralId(): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  return Array.from(crypto.getRandomValues(new Uint8Array(9)), (byte) => alphabet[byte % 62]).join("");
}

/** Mistral's refusal of `body`, or undefined when it takes it. */
export function mistralRefusal(body: JsonObject): MistralRefusal | undefined {
  const extra = extraFields(body);
  if (extra.length > 0)
    return {
      status: 422,
      body: {
        detail: extra.map(({ loc, input, type, msg }) => ({
          type: type ?? "extra_forbidden",
          loc,
          msg: msg ?? "Extra inputs are not permitted",
          input,
        })),
      },
    };
  const messages = (Array.isArray(body.messages) ? body.messages : []).filter(isJsonObject);
  if (messages.length === 0) return ORDER("Conversation must have at least one message");
  const last = messages.at(-1) as JsonObject;
  if (messages.length === 1 && last.role !== "user" && last.role !== "system")
    return ORDER("Conversation must start with a user message or system message");
  if (messages.length > 1 && last.role === "assistant" && last.prefix !== true)
    return ORDER(
      "Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant",
    );
  let before: string | undefined;
  for (const message of messages) {
    const role = String(message.role);
    if (before !== undefined && !FOLLOWS[before]?.includes(role))
      return ORDER(`Unexpected role '${role}' after role '${before}'`);
    before = role;
  }
  const answered = answeredCalls(messages);
  if (answered) return answered;
  for (const [i, message] of messages.entries()) {
    if (message.role === "assistant" && message.prefix === true && i !== messages.length - 1)
      return ORDER("Assistant message with prefix True must be last message");
    if (message.role === "assistant" && saysNothing(message))
      return {
        status: 400,
        body: {
          object: "error",
          message: "Assistant message must have either content or tool_calls, but not none.",
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      };
    const ids =
      message.role === "tool"
        ? [message.tool_call_id]
        : Array.isArray(message.tool_calls)
          ? message.tool_calls.map((call) => (isJsonObject(call) ? call.id : undefined))
          : [];
    for (const id of ids)
      if (typeof id !== "string" || !MISTRAL_ID.test(id))
        return {
          status: 400,
          body: {
            object: "error",
            message: `Tool call id was ${String(id)} but must be a-z, A-Z, 0-9, with a length of 9.`,
            type: "invalid_function_call",
            param: null,
            code: "3280",
          },
        };
  }
  return undefined;
}

/**
 * An assistant message with neither content nor calls, which every mistral-common tokenizer refuses
 * to encode ("Invalid assistant message"), and Mistral's API with its own words (OpenHands #8685,
 * solbrowse/extension #16 quote its 400): content null, "" or no parts (Python's falsy).
 */
const saysNothing = (message: JsonObject): boolean =>
  (message.content == null ||
    message.content === "" ||
    (Array.isArray(message.content) && message.content.length === 0)) &&
  !(Array.isArray(message.tool_calls) && message.tool_calls.length > 0);

/** Each assistant's calls answered by tool results of their ids before the next assistant turn. */
function answeredCalls(messages: readonly JsonObject[]): MistralRefusal | undefined {
  let expected = new Set<unknown>();
  let seen = new Set<unknown>();
  for (const [i, message] of messages.entries()) {
    if (i === 0) continue;
    if (message.role === "tool") {
      if (seen.has(message.tool_call_id))
        return ORDER(`Duplicate tool call id ${String(message.tool_call_id)} in tool results`);
      if (!expected.has(message.tool_call_id))
        return ORDER(`Unexpected tool call id ${String(message.tool_call_id)} in tool results`);
      seen.add(message.tool_call_id);
    } else if (message.role === "assistant") {
      if (expected.size !== seen.size) return ORDER("Not the same number of function calls and responses");
      expected = new Set();
      seen = new Set();
      for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : [])
        expected.add(isJsonObject(call) ? call.id : undefined);
    }
  }
  return expected.size !== seen.size
    ? ORDER("Not the same number of function calls and responses")
    : undefined;
}

/** The prefix a taken request asks Mistral to continue, which its answer begins with again. */
export function echoedBy(body: JsonObject): string {
  const last = Array.isArray(body.messages) ? body.messages.at(-1) : undefined;
  return isJsonObject(last) && last.prefix === true && typeof last.content === "string" ? last.content : "";
}

/**
 * A fake Mistral server: every request's body is kept in `received`; one it refuses gets its
 * refusal, one it takes an answer (`answer`'s text after the echoed prefix), whole or streamed as
 * Mistral streams (the prefix again first, its trailing space moved to the next chunk).
 */
export function mistralServer(answer = "Bonjour.") {
  const received: JsonObject[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const body = (await request.json()) as JsonObject;
      received.push(body);
      if (new URL(request.url).pathname === "/v1/embeddings") return mistralEmbeddings(body);
      const refused = mistralRefusal(body);
      if (refused) return Response.json(refused.body, { status: refused.status });
      const prefix = echoedBy(body);
      const usage = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 };
      const base = { id: "a1b2c3", created: 1, model: String(body.model) };
      if (body.stream !== true)
        return Response.json({
          ...base,
          object: "chat.completion",
          choices: [
            { index: 0, message: { role: "assistant", content: prefix + answer }, finish_reason: "stop" },
          ],
          usage,
        });
      const trimmed = prefix.trimEnd();
      const pieces = [trimmed, prefix.slice(trimmed.length) + answer].filter((piece) => piece !== "");
      const chunks = [
        { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
        ...pieces.map((content) => ({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })),
        { choices: [{ index: 0, delta: { content: "" }, finish_reason: "stop" }], usage },
      ];
      const text = chunks
        .map((chunk) => `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", ...chunk })}\n\n`)
        .join("");
      return new Response(`${text}data: [DONE]\n\n`, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { server, received, baseUrl: `http://127.0.0.1:${server.port}/v1` };
}
