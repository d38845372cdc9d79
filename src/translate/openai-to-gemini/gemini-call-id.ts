import { isJsonObject } from "../../core/dialect.ts";

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
 * A chat request's messages with every tool-call id plain (`plainCallId`): the calls' `id`s and
 * the results' `tool_call_id`s. The list itself when no id carried a signature; nothing it holds
 * is changed (it may be the caller's body, sent on to the next route as received).
 */
export function plainCallIds<M>(messages: M): M {
  if (!Array.isArray(messages)) return messages;
  let out: unknown[] | undefined;
  for (const [i, message] of messages.entries()) {
    const plain = plainMessage(message);
    if (plain !== message) {
      out ??= [...messages];
      out[i] = plain;
    }
  }
  return (out ?? messages) as M;
}

function plainMessage(message: unknown): unknown {
  if (!isJsonObject(message)) return message;
  if (typeof message.tool_call_id === "string") {
    const id = plainCallId(message.tool_call_id);
    return id === message.tool_call_id ? message : { ...message, tool_call_id: id };
  }
  if (!Array.isArray(message.tool_calls)) return message;
  let calls: unknown[] | undefined;
  for (const [j, call] of message.tool_calls.entries()) {
    if (!isJsonObject(call) || typeof call.id !== "string") continue;
    const id = plainCallId(call.id);
    if (id === call.id) continue;
    calls ??= [...message.tool_calls];
    calls[j] = { ...call, id };
  }
  return calls ? { ...message, tool_calls: calls } : message;
}

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
