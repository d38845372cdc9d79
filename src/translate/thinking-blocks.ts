/**
 * A Messages server's thinking as the other dialects carry it, where the server takes it back
 * (DeepSeek's `/anthropic`: providers/takes-thinking-back.ts): each `thinking` block's text and
 * `signature` (DeepSeek signs a block with its message's id). Chat has one field for a turn's
 * reasoning, `reasoning_content`: the blocks' text, joined by a blank line, and no signature, for
 * which no chat API has a field. A Responses `reasoning` item takes one block, its signature in
 * `encrypted_content` (`encryptedThinking`), which clients send back as they got it (Codex, with
 * `include: ["reasoning.encrypted_content"]`, every turn).
 *
 * A Responses call to such a server goes through chat (routing/responses-via-chat.ts): its blocks
 * ride beside the chat message, noted here, both ways (the answer's, and the turns a caller sends
 * back): a weak map entry, no field in the chat message, as calls-in-text.ts notes where a call came.
 */
export interface ThinkingBlock {
  readonly thinking: string;
  /** "" when the server signed none. */
  readonly signature: string;
}

const noted = new WeakMap<object, readonly ThinkingBlock[]>();

/** Notes, for the chat `message`, the thinking blocks its `reasoning_content` joins. */
export function noteThinking(message: object, blocks: readonly ThinkingBlock[]): void {
  noted.set(message, blocks);
}

/** The thinking blocks noted for the chat `message`, when they were. */
export function thinkingOf(message: unknown): readonly ThinkingBlock[] | undefined {
  return typeof message === "object" && message !== null ? noted.get(message) : undefined;
}

/** The blank line between two blocks' text in chat's one `reasoning_content`. */
export const THINKING_SEPARATOR = "\n\n";

/**
 * Marks a signature carried as `encrypted_content`, so that it is told apart from a Responses
 * server's own (OpenAI's, which only it can read): only a marked one goes back as a signature, and
 * a marked one never goes to a server of the Responses API (translate/responses/item-references.ts).
 */
const MARK = "mindgw-thinking:v1:";

/** A block's signature as a reasoning item's `encrypted_content`; undefined when it has none. */
export const encryptedThinking = (signature: string): string | undefined =>
  signature === "" ? undefined : `${MARK}${signature}`;

/** The signature a reasoning item's `encrypted_content` carries, when it is one `encryptedThinking` wrote. */
export function signatureIn(encrypted: unknown): string | undefined {
  return typeof encrypted === "string" && encrypted.startsWith(MARK)
    ? encrypted.slice(MARK.length)
    : undefined;
}
