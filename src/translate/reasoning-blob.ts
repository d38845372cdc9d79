import type { JsonObject } from "../core/dialect.ts";

/**
 * The field in which a part of a prompt hands the model's own reasoning back as an opaque blob:
 * a Responses `reasoning` item's `encrypted_content` (Codex sends every one back each turn), a
 * Messages `thinking` block's `signature`, a `redacted_thinking` block's `data`; undefined for any
 * other part. Known by the part's `type` alone, never by reading its strings.
 *
 * The gateway's estimates count such a blob as nothing. It is base64 of ciphertext, whose length
 * says nothing of the tokens it stands for (an agent's long conversation carries dozens, which
 * read as text would take the window check and the estimates far past the prompt), and a vendor
 * counts the reasoning it holds as reasoning tokens, billed as output of the turn that made them,
 * and drops earlier turns' reasoning from the context (Anthropic its thinking blocks, OpenAI its
 * reasoning items). What the part says in the open beside it (a thinking block's `thinking`, a
 * reasoning item's `summary`) is text, counted as text.
 */
export function reasoningBlob(part: JsonObject): string | undefined {
  switch (part.type) {
    case "reasoning":
      return "encrypted_content";
    case "thinking":
      return "signature";
    case "redacted_thinking":
      return "data";
  }
  return undefined;
}
