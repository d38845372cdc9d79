import type { JsonObject } from "../core/dialect.ts";
import { plainCallId, SIGNATURE_MARK } from "./openai-to-gemini/gemini-call-id.ts";

/**
 * The field in which a part of a prompt hands the model's own reasoning back as an opaque blob:
 * a Responses `reasoning` item's `encrypted_content` (Codex sends every one back each turn), a
 * Messages `thinking` block's `signature`, a `redacted_thinking` block's `data`, an entry of
 * OpenRouter's `reasoning_details` (a `reasoning.encrypted` one's `data`, a `reasoning.text` one's
 * `signature`); undefined for any other part. Known by the part's `type` alone, never by reading
 * its strings.
 *
 * The gateway's estimates count such a blob as nothing. It is base64 of ciphertext, whose length
 * says nothing of the tokens it stands for (an agent's long conversation carries dozens, which
 * read as text would take the window check and the estimates far past the prompt), and a vendor
 * counts the reasoning it holds as reasoning tokens, billed as output of the turn that made them,
 * and drops earlier turns' reasoning from the context (Anthropic its thinking blocks, OpenAI its
 * reasoning items). What the part says in the open beside it (a thinking block's `thinking`, a
 * reasoning item's `summary`, a `reasoning.text`'s `text`) is text, counted as text.
 */
export function reasoningBlob(part: JsonObject): string | undefined {
  switch (part.type) {
    case "reasoning":
      return "encrypted_content";
    case "thinking":
    case "reasoning.text":
      return "signature";
    case "redacted_thinking":
    case "reasoning.encrypted":
      return "data";
  }
  return undefined;
}

/**
 * The characters the estimates count of a part's string field `key`: Gemini's thought signature,
 * a blob of the same kind whose part has no type, counts none — its own `thoughtSignature`, the
 * `extra_content.google.thought_signature` of a call through its OpenAI-compatible API — and a
 * tool call's id, or a result's, only the part before the signature it carries
 * (gemini-call-id.ts), in every dialect's field for it. Any other field counts its length.
 */
export function countedLength(key: string, text: string): number {
  switch (key) {
    case "thoughtSignature":
    case "thought_signature":
      return 0;
    case "id":
    case "call_id":
    case "tool_call_id":
    case "tool_use_id":
      // An id is short, and nearly never signed: one search.
      return text.includes(SIGNATURE_MARK) ? plainCallId(text).length : text.length;
  }
  return text.length;
}
