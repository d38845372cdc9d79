import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { promptTexts } from "./mock-reply.ts";
import { type ForcedCall, forcedToolCall } from "./mock-tool-call.ts";
import { schemaInstance } from "./schema-instance.ts";

/** One choice as the mock writes it: its text in pieces (one a token, one a stream chunk), and why it ended. */
export interface MockChoice {
  /** The prompt written before the answer (completions' `echo`): no part of its tokens. */
  readonly echoed: string;
  /** The text, or under `call` its arguments' JSON. */
  readonly pieces: readonly string[];
  readonly finish: "stop" | "length" | "tool_calls";
  /** The function called, where `tool_choice` forced a call: the pieces are its arguments. */
  readonly call?: string;
  /** The stop sequence it ended at, reported as vLLM does (`stop_reason`): Anthropic's `stop_sequence`. */
  readonly matched?: string;
}

/** OpenAI's bound on `n`; also what keeps one request from asking the mock for a billion answers. */
const MAX_CHOICES = 128;
/** The most choices of one completions call, over all its prompts (`n` each). */
const MAX_PROMPT_CHOICES = 2048;
/** The mock's tokens are 4 characters (`roughTokens`), so `max_tokens` cuts at 4 × it characters. */
const CHARS_PER_TOKEN = 4;

/**
 * What the mock answers a chat or completions request, as a model would: `n` choices (for each of
 * a completions call's prompts, in OpenAI's order: the first prompt's `n`, then the next's), cut at
 * the first `stop` sequence (left out, finish `stop`) or at `max_completion_tokens`/`max_tokens`
 * (finish `length`), each after its prompt under completions' `echo`; under `response_format`
 * `json_object` a JSON object, under `json_schema` the smallest value valid against the schema
 * (schema-instance.ts) — so structured-output helpers such as the OpenAI SDK's `.parse()` work
 * against it; where `tool_choice` forces a call, that call (mock-tool-call.ts). The same request
 * always gets the same answer.
 */
export function mockGeneration(body: JsonObject, chat: boolean): MockChoice[] {
  if (!chat) refuseSuffix(body.suffix);
  const n = count(body.n);
  const prompts = promptTexts(body, chat);
  if (prompts.length * n > MAX_PROMPT_CHOICES)
    throw badRequest(
      `prompt: ${prompts.length} prompts of ${n} choices each are more than the ${MAX_PROMPT_CHOICES} the mock writes`,
      "prompt",
    );
  const echo = !chat && body.echo === true;
  return prompts.flatMap((prompt) => {
    const choice = generated(body, chat, prompt, echo ? prompt : "");
    return Array.from({ length: n }, () => choice);
  });
}

/**
 * Completions' `best_of`, as candidates made for each choice answered (1 when not asked): OpenAI
 * makes `best_of` completions a prompt and answers the `n` best, each made one billed ("Because
 * this parameter generates many completions, it can quickly consume your token quota"). The
 * mock's candidates are alike, so its choices are as without; their count is what changes. At
 * least `n`, and never streamed ("Results cannot be streamed"): otherwise a 400 naming it, as
 * OpenAI and vLLM refuse.
 */
export function candidatesPerChoice(body: JsonObject, stream: boolean): number {
  const bestOf = body.best_of;
  if (bestOf === undefined || bestOf === null) return 1;
  const n = count(body.n);
  if (!Number.isInteger(bestOf) || (bestOf as number) < n || (bestOf as number) > MAX_CHOICES)
    throw badRequest(`best_of: must be an integer from n (${n}) to ${MAX_CHOICES}`, "best_of");
  if (stream && (bestOf as number) > 1)
    throw badRequest(
      "best_of: results cannot be streamed; leave best_of out or send stream: false",
      "best_of",
    );
  return (bestOf as number) / n;
}

/**
 * Completions' `suffix`, the text an answer is to be inserted before: the mock only continues a
 * prompt, so a suffix is a 400 naming it, as vLLM refuses it ("suffix is not currently
 * supported"), never an answer that reads as if none had been sent. Empty, it asks nothing.
 */
function refuseSuffix(suffix: unknown): void {
  if (suffix === undefined || suffix === null || suffix === "") return;
  throw badRequest("suffix: the mock model continues a prompt and inserts no text before a suffix", "suffix");
}

/** One prompt's choice. */
function generated(body: JsonObject, chat: boolean, prompt: string, echoed: string): MockChoice {
  const { text, json, call } = answerOf(body, chat, prompt);
  let end = text.length;
  let finish: MockChoice["finish"] = call?.finish ?? "stop";
  let matched: string | undefined;
  // Stop sequences end text; a call's arguments are cut only by the token limit below.
  for (const stop of call === undefined ? stops(body.stop) : []) {
    const at = text.indexOf(stop);
    if (at !== -1 && at < end) {
      end = at;
      matched = stop;
    }
  }
  const limitField = chat && body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
  const limit = maxTokens(body[limitField], limitField);
  if (limit !== undefined && end > limit * CHARS_PER_TOKEN) {
    end = limit * CHARS_PER_TOKEN;
    finish = "length";
    matched = undefined;
  }
  const pieces = text.slice(0, end).split(json ? /(?<=[,:{[])/ : /(?<= )/);
  return {
    echoed,
    pieces: pieces.filter((piece) => piece !== ""),
    finish,
    ...(matched !== undefined ? { matched } : {}),
    ...(call !== undefined ? { call: call.name } : {}),
  };
}

/**
 * The answer before any cut: what the prompt said, or JSON when the request asks for it, or the
 * arguments of the call its `tool_choice` forces.
 */
function answerOf(
  body: JsonObject,
  chat: boolean,
  prompt: string,
): { text: string; json: boolean; call?: ForcedCall } {
  const said = `This is the mindgw mock model. You said: ${prompt.slice(0, 200)}`;
  const call = chat ? forcedToolCall(body, said) : undefined;
  if (call !== undefined) return { text: call.arguments, json: true, call };
  const format = chat && isJsonObject(body.response_format) ? body.response_format : undefined;
  if (format?.type === "json_schema" && isJsonObject(format.json_schema) && format.json_schema.schema)
    return { text: JSON.stringify(schemaInstance(format.json_schema.schema, said)), json: true };
  if (format?.type === "json_schema" || format?.type === "json_object")
    return { text: JSON.stringify({ answer: said }), json: true };
  return { text: said, json: false };
}

function count(n: unknown): number {
  if (n === undefined || n === null) return 1;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_CHOICES)
    throw badRequest(`n: must be an integer from 1 to ${MAX_CHOICES}`, "n");
  return n as number;
}

function maxTokens(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1)
    throw badRequest(`${field}: must be a positive integer`, field);
  return value as number;
}

/** `stop`: a string or up to 4 of them; empty ones stop nothing. */
function stops(stop: unknown): string[] {
  const list = typeof stop === "string" ? [stop] : Array.isArray(stop) ? stop : [];
  return list.filter((s): s is string => typeof s === "string" && s !== "");
}
