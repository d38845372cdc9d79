import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/**
 * A chat body as Mistral's API takes it, where OpenAI's takes more (a copy when it changes).
 * Mistral checks each request's messages as mistral-common's validator does in serving mode
 * (mistral_common/protocol/instruct/validator.py) and answers 400 to what OpenAI accepts:
 *
 * - a tool-call id that is not 9 letters and digits, on a call or on its result ("Tool call id was
 *   toolu_01… but must be a-z, A-Z, 0-9, with a length of 9.", `invalid_function_call`): every id
 *   another vendor minted (Claude's `toolu_…`, OpenAI's `call_…`, the gateway's own), met in a
 *   conversation that began on another model (a model switch, a failover, an Agents SDK handoff).
 *   Each such id is sent as 9 letters and digits of its SHA-256, the same for a call and its result
 *   and from request to request; an id Mistral minted goes as it is. Nothing in an answer names an
 *   id of the request, so none is read back.
 * - a user message right after a tool result ("Unexpected role 'user' after role 'tool'",
 *   `invalid_request_message_order`): after a tool result only another, or the assistant, may
 *   come. Claude Code sends text beside its tool results in one user turn (a reminder, a message
 *   typed while a tool ran), which chat says as the results then a user message; such a message is
 *   folded into the last result before it, as the same turn (its text after the result's, a blank
 *   line between; parts that are not text, a tool's screenshot, as the content parts Mistral's
 *   tool message takes).
 * - a system message after the assistant's turn or a tool result ("Unexpected role 'system' after
 *   role 'assistant'"): a system message may follow only the system's or the user's (the
 *   validator's `_validate_message_order`, so in every version through 1.11.7). Such a late
 *   instruction (a Responses caller's `developer` item mid-conversation) is folded into the
 *   conversation's leading system message (one made when there is none), as mistral-common itself
 *   joins every system message into one prompt for its older models.
 * - an assistant message with neither text nor calls ("Assistant message must have either content
 *   or tool_calls, but not none.", which every mistral-common tokenizer refuses to encode too:
 *   "Invalid assistant message"), which OpenAI takes (a turn whose thinking alone a translation
 *   left out, a client's empty turn): not sent. It says nothing, and sent as `""` it is refused
 *   alike (the check is Python's falsy content); the messages around it go as they would without it.
 * - a conversation that ends on the assistant's turn ("Expected last role User or Tool (or
 *   Assistant with prefix True) for serving but got assistant"), which Claude continues as a
 *   prefill: a last assistant message of text (no calls) is sent `prefix: true`, which asks Mistral
 *   for that continuation. Mistral writes the prefix again at the start of its answer
 *   (`mistralPrefix` says it, for the answer to go without it).
 *
 * Fields its schema has not, which it refuses (422), go too where they ask nothing it could do
 * otherwise (`inMistralFields`, `MESSAGE_FIELDS`). An order Mistral refuses that OpenAI refuses
 * too (a tool result after the user's message, calls left unanswered) is left for Mistral to refuse.
 */
export function forMistral(request: JsonObject): JsonObject {
  const body = inMistralFields(request);
  const messages = body.messages;
  if (!Array.isArray(messages)) return body;
  const ids = new MistralIds(messages);
  const out: JsonObject[] = [];
  let changed = false;
  for (const entry of messages) {
    if (!isJsonObject(entry)) {
      out.push(entry as JsonObject);
      continue;
    }
    if (saysNothing(entry)) {
      changed = true;
      continue;
    }
    const message = ids.inMessage(withMistralKeys(entry));
    if (message !== entry) changed = true;
    const before = out.at(-1)?.role;
    if (message.role === "system" && (before === "assistant" || before === "tool")) {
      foldSystem(out, message);
      changed = true;
    } else if (message.role === "user" && before === "tool") {
      const last = out.length - 1;
      out[last] = { ...(out[last] as JsonObject), content: joined(out[last]?.content, message.content) };
      changed = true;
    } else out.push(message);
  }
  const last = out.at(-1);
  if (last && prefixes(last) && last.prefix !== true) {
    out[out.length - 1] = { ...last, prefix: true };
    changed = true;
  }
  return changed ? { ...body, messages: out } : body;
}

/**
 * Fields of OpenAI's chat request that Mistral's schema has not, which it refuses whatever their
 * value (422 "Extra inputs are not permitted", its `extra_forbidden`), and which ask nothing it
 * could do otherwise: left out, and named (mistral-left-out.ts). Most the gateway writes itself: `stream_options.include_usage`,
 * asked of every chat stream for its accounting (Mistral's stream says its usage in its last chunk
 * unasked: openai-agents-python #442, avante.nvim #2347 quote the 422); `user`, the digest the
 * Messages translation writes of Claude Code's `metadata.user_id` (LibreChat's Mistral example
 * drops it for that 422), and `safety_identifier`, ids of an end user for abuse monitoring;
 * `verbosity`, `service_tier` and the prompt cache's `prompt_cache_retention` and
 * `prompt_cache_options`, which the Responses translation writes of Codex's `text.verbosity` and
 * the like; `store`, OpenAI's keeping of the turn. A field that asks for what Mistral cannot give
 * (`logprobs`, `audio`, `logit_bias`) is left for it to refuse.
 */
export const UNTAKEN = [
  "stream_options",
  "user",
  "safety_identifier",
  "verbosity",
  "service_tier",
  "prompt_cache_retention",
  "prompt_cache_options",
  "store",
] as const;

/**
 * The body without the fields Mistral's schema has not that ask nothing of it (`UNTAKEN`), and with
 * OpenAI's `seed` as Mistral's `random_seed` (the same ask under its name). A copy when it changes.
 */
function inMistralFields(body: JsonObject): JsonObject {
  if (!UNTAKEN.some((field) => field in body) && !("seed" in body)) return body;
  const out: JsonObject = {};
  for (const [field, value] of Object.entries(body))
    if (!(UNTAKEN as readonly string[]).includes(field) && field !== "seed") out[field] = value;
  if (body.seed != null) out.random_seed = body.random_seed ?? body.seed;
  return out;
}

/**
 * The keys of each message Mistral's schema has, by role (its API's `SystemMessage`,
 * `UserMessage`, `AssistantMessage`, `ToolMessage`); any other it refuses (422, as for an
 * assistant's `reasoning_content` a client sent back: crush #1590; a user message's `name`). What
 * an OpenAI caller's history carries beside them is its answer's echo (an assistant message
 * appended as the SDK returned it: `refusal`, `annotations`, `audio`, `function_call`, a chat
 * server's `reasoning_content`) or a participant's `name`: left out.
 */
export const MESSAGE_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  system: new Set(["role", "content"]),
  user: new Set(["role", "content"]),
  assistant: new Set(["role", "content", "tool_calls", "prefix"]),
  tool: new Set(["role", "content", "tool_call_id", "name"]),
};

/**
 * The message with only the keys Mistral's schema has for its role (a copy when it changes); a
 * `developer` message, OpenAI's newer name for a system message, which Mistral has no role for, as
 * the system message it is.
 */
function withMistralKeys(entry: JsonObject): JsonObject {
  const message = entry.role === "developer" ? { ...entry, role: "system" } : entry;
  const known = MESSAGE_FIELDS[String(message.role)];
  if (!known) return message;
  let out: JsonObject | undefined;
  for (const key of Object.keys(message))
    if (!known.has(key)) {
      out ??= { ...message };
      delete out[key];
    }
  return out ?? message;
}

/**
 * The text Mistral writes again at the start of its answer to `body` as `forMistral` sends it: a
 * last assistant message's that asks for a continuation (`prefix: true`). Undefined for any other.
 */
export function mistralPrefix(body: JsonObject): string | undefined {
  const messages = body.messages;
  if (!Array.isArray(messages)) return undefined;
  const last = messages.at(-1);
  if (!isJsonObject(last) || last.prefix !== true || !prefixes(last)) return undefined;
  return textOf(last.content);
}

/** An assistant message of no text and no calls. */
function saysNothing(message: JsonObject): boolean {
  if (message.role !== "assistant") return false;
  if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) return false;
  return textOf(message.content) === "";
}

/** A last assistant message Mistral continues: text, no calls. */
function prefixes(message: JsonObject): boolean {
  if (message.role !== "assistant") return false;
  if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) return false;
  const text = textOf(message.content);
  return text !== undefined && /\S/.test(text);
}

/** A late system message's content, after the leading system message's (one made when there is none). */
function foldSystem(out: JsonObject[], message: JsonObject): void {
  const first = out[0];
  if (first?.role === "system") out[0] = { ...first, content: joined(first.content, message.content) };
  else out.unshift({ role: "system", content: message.content ?? "" });
}

/**
 * Two messages' contents as one: text (a blank line between) while both are text alone, else the
 * content parts of both, in order.
 */
function joined(first: unknown, then: unknown): unknown {
  const a = textOf(first);
  const b = textOf(then);
  if (a !== undefined && b !== undefined) return a === "" ? b : b === "" ? a : `${a}\n\n${b}`;
  return [...partsOf(first), ...partsOf(then)];
}

/** A content's text when it is text alone: a string, or text parts (joined by a blank line). */
function textOf(content: unknown): string | undefined {
  if (content == null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const part of content) {
    if (!isJsonObject(part) || part.type !== "text" || typeof part.text !== "string") return undefined;
    texts.push(part.text);
  }
  return texts.join("\n\n");
}

/** A content as content parts: a string as one text part (none when empty). */
function partsOf(content: unknown): JsonObject[] {
  if (Array.isArray(content)) return content as JsonObject[];
  if (typeof content === "string" && content !== "") return [{ type: "text", text: content }];
  return [];
}

/** The ids Mistral takes: a-z, A-Z, 0-9, exactly 9 (its "Tool call id was … with a length of 9"). */
const MISTRAL_ID = /^[a-zA-Z0-9]{9}$/;
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * The request's tool-call ids as Mistral takes them: one it takes as it is; any other, 9 characters
 * of its SHA-256 (the same each time it is met, in this request and the next), never one another
 * id of the request already is.
 */
class MistralIds {
  /** Every id the request sends as Mistral takes it, and what it was. */
  private readonly taken = new Map<string, string>();
  private readonly written = new Map<string, string>();

  constructor(messages: readonly unknown[]) {
    for (const message of messages) {
      if (!isJsonObject(message)) continue;
      if (typeof message.tool_call_id === "string" && MISTRAL_ID.test(message.tool_call_id))
        this.taken.set(message.tool_call_id, message.tool_call_id);
      if (!Array.isArray(message.tool_calls)) continue;
      for (const call of message.tool_calls)
        if (isJsonObject(call) && typeof call.id === "string" && MISTRAL_ID.test(call.id))
          this.taken.set(call.id, call.id);
    }
  }

  /** The message with its ids (its calls', or its result's) as Mistral takes them. */
  inMessage(message: JsonObject): JsonObject {
    if (message.role === "tool" && typeof message.tool_call_id === "string") {
      const id = this.of(message.tool_call_id);
      return id === message.tool_call_id ? message : { ...message, tool_call_id: id };
    }
    if (message.role !== "assistant" || !Array.isArray(message.tool_calls)) return message;
    let changed = false;
    const calls = message.tool_calls.map((call) => {
      if (!isJsonObject(call) || typeof call.id !== "string") return call;
      const id = this.of(call.id);
      if (id === call.id) return call;
      changed = true;
      return { ...call, id };
    });
    return changed ? { ...message, tool_calls: calls } : message;
  }

  private of(id: string): string {
    if (MISTRAL_ID.test(id)) return id;
    const known = this.written.get(id);
    if (known !== undefined) return known;
    let written = digestId(id);
    for (let n = 1; this.taken.has(written) && this.taken.get(written) !== id; n++)
      written = digestId(`${id}\u0000${n}`);
    this.taken.set(written, id);
    this.written.set(id, written);
    return written;
  }
}

/** 9 letters and digits of `id`'s SHA-256. */
function digestId(id: string): string {
  const digest = new Bun.CryptoHasher("sha256").update(id).digest();
  let out = "";
  for (let i = 0; i < 9; i++) out += ALPHABET[(digest[i] ?? 0) % ALPHABET.length];
  return out;
}
