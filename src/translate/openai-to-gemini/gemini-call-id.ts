import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/**
 * Gemini tool-call ids as the caller sees them, carrying the call's `thoughtSignature`.
 *
 * Gemini 3 signs the function calls it makes (an opaque `thoughtSignature`, bytes in base64 on
 * the part) and refuses the next turn unless the signature comes back on its call (400 "Function
 * call is missing a thought_signature in functionCall parts"). The chat, Messages and Responses
 * shapes have no field for it, and the gateway keeps no conversation state, so it rides in the
 * call's id, which every client sends back unchanged: `call_<unique>__ts_<signature>`, the
 * signature in base64url (Anthropic's tool_use ids allow only `[a-zA-Z0-9_-]`).
 *
 * The unique part is Gemini's own call id when it sends one, else a random one: Gemini numbers
 * nothing, and ids repeated across turns break Anthropic (“tool_use ids must be unique”) and
 * clients that key results by id.
 */
export const SIGNATURE_MARK = "__ts_";

/**
 * Google's documented signature for a function call Gemini did not sign as it stands: history
 * from another vendor or model, or a client that rewrote the ids. Gemini 3 then skips the check.
 */
export const UNSIGNED_CALL_SIGNATURE = "skip_thought_signature_validator";

/** The id a Gemini function call is shown by. */
export function geminiCallId(geminiId: string | undefined, signature: string | undefined): string {
  const id = geminiId ?? `call_${crypto.randomUUID().replaceAll("-", "")}`;
  const carried = signature === undefined ? undefined : toBase64Url(signature);
  return carried ? `${id}${SIGNATURE_MARK}${carried}` : id;
}

/** A caller's tool-call id read back: the id Gemini knows the call by, and its signature if it has one. */
export function readGeminiCallId(shown: string): { id: string; signature: string | undefined } {
  const at = shown.indexOf(SIGNATURE_MARK);
  const carried = at < 0 ? "" : shown.slice(at + SIGNATURE_MARK.length);
  if (!BASE64URL.test(carried)) return { id: shown, signature: undefined };
  return { id: shown.slice(0, at), signature: fromBase64Url(carried) };
}

/**
 * The id as an upstream that reads no signature gets it (OpenAI, Azure, Bedrock, Anthropic): the
 * part before `__ts_`. OpenAI and Azure refuse a `tool_calls[].id` over 40 characters, Bedrock a
 * `toolUseId` over 64, and a signed id runs to hundreds; call and result stay a pair, both cut so.
 */
export const plainCallId = (shown: string): string => readGeminiCallId(shown).id;

/**
 * A request's body with every tool-call id plain (`plainCallId`), for an upstream that reads no
 * signature, in any of the caller's dialects: chat's calls (`tool_calls[].id`) and results
 * (`tool_call_id`), Messages' `tool_use.id` and `tool_result.tool_use_id` blocks, Responses'
 * `call_id` on its input items. The body itself when no id carried a signature; nothing it holds
 * is changed (it is the caller's body, sent on to the next route as received).
 */
export function plainCallIdsOf<B extends JsonObject>(body: B): B {
  const messages = plainCallIds(body.messages);
  const input = plainItemCallIds(body.input);
  let out = body;
  if (messages !== body.messages) out = { ...out, messages };
  if (input !== body.input) out = { ...out, input };
  return out;
}

/**
 * A chat or Messages request's messages with every tool-call id plain: the calls' `id`s and the
 * results' `tool_call_id`s (chat), the `tool_use` and `tool_result` blocks' ids (Messages). The
 * list itself when no id carried a signature; nothing it holds is changed.
 */
export const plainCallIds = <M>(messages: M): M => plainList(messages, plainMessage);

/**
 * Responses input items with every `call_id` plain (a `function_call` and its
 * `function_call_output` share one): the caller's input, or a stored chain inlined for an upstream
 * that reads no signature. The list itself when no id carried a signature; nothing it holds is changed.
 */
export const plainItemCallIds = <I>(items: I): I => plainList(items, plainItem);

/** The list with `plain` applied to each entry; the list itself when none changed. */
function plainList<L>(list: L, plain: (entry: unknown) => unknown): L {
  if (!Array.isArray(list)) return list;
  let out: unknown[] | undefined;
  for (const [i, entry] of list.entries()) {
    const changed = plain(entry);
    if (changed !== entry) {
      out ??= [...list];
      out[i] = changed;
    }
  }
  return (out ?? list) as L;
}

/** An object with its string field `key` plain; the object itself when it was. */
function plainField(entry: unknown, key: string): unknown {
  if (!isJsonObject(entry)) return entry;
  const shown = entry[key];
  if (typeof shown !== "string") return entry;
  const id = plainCallId(shown);
  return id === shown ? entry : { ...entry, [key]: id };
}

function plainMessage(message: unknown): unknown {
  if (!isJsonObject(message)) return message;
  if (typeof message.tool_call_id === "string") return plainField(message, "tool_call_id");
  const calls = plainList(message.tool_calls, (call) => plainField(call, "id"));
  const content = plainList(message.content, plainBlock);
  let out = message;
  if (calls !== message.tool_calls) out = { ...out, tool_calls: calls };
  if (content !== message.content) out = { ...out, content };
  return out;
}

/** A Messages content block: a call (`tool_use`) or its result (`tool_result`). */
function plainBlock(block: unknown): unknown {
  if (!isJsonObject(block)) return block;
  if (block.type === "tool_use") return plainField(block, "id");
  if (block.type === "tool_result") return plainField(block, "tool_use_id");
  return block;
}

/** A Responses input item: a `function_call` and its `function_call_output` share a `call_id`. */
const plainItem = (item: unknown): unknown => plainField(item, "call_id");

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Standard base64 (as Google sends bytes) → unpadded base64url; undefined for anything else. */
function toBase64Url(signature: string): string | undefined {
  if (!BASE64.test(signature)) return undefined;
  return signature.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The inverse: the signature exactly as Google sent it, padding restored. */
function fromBase64Url(carried: string): string {
  const padding = "=".repeat((4 - (carried.length % 4)) % 4);
  return carried.replaceAll("-", "+").replaceAll("_", "/") + padding;
}
