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
  /**
   * Claude's thinking encrypted (a Messages `redacted_thinking` block's `data`; Bedrock Converse's
   * `redactedContent`, as its JSON says it): set only on such a block, whose `thinking` and
   * `signature` are then "".
   */
  readonly redacted?: string;
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

/**
 * What a chat stream's reasoning cannot say, noted beside one of its chunks: a server that answers
 * in blocks (Bedrock Converse's `reasoningContent`) streams each block's text as
 * `reasoning_content`, one field for every block, with no place for where one block ends and the
 * next begins, for a block's signature, or for a redacted block. A translation on (to Messages, to
 * Responses) reads them here; a chat caller gets the text alone, as chat says it.
 */
export interface ThinkingStep {
  /**
   * This chunk's reasoning begins a block of its own: the one before it is whole. For a chat
   * caller it starts with the blank line that joins two blocks' text (`THINKING_SEPARATOR`), as a
   * whole answer's `reasoning_content` joins them; a translation that says blocks apart leaves the
   * blank line out (`blockText`).
   */
  readonly apart?: boolean;
  /** The signature of the block this chunk's reasoning ends (it comes once, after its text). */
  readonly signature?: string;
  /** Redacted blocks, whole, after the block before them: each one's data, in order. */
  readonly redacted?: readonly string[];
}

const steps = new WeakMap<object, ThinkingStep>();

/** Notes `step` for a chat chunk (the event a translation wrote, or the chunk read back from it). */
export function noteThinkingStep(chunk: object, step: ThinkingStep): void {
  steps.set(chunk, step);
}

/** The step noted for the chat chunk `chunk`, when one was. */
export function thinkingStepOf(chunk: unknown): ThinkingStep | undefined {
  return typeof chunk === "object" && chunk !== null ? steps.get(chunk) : undefined;
}

/** The blank line between two blocks' text in chat's one `reasoning_content`. */
export const THINKING_SEPARATOR = "\n\n";

/** A chunk's reasoning as its block's own text: without the blank line before a block `apart`. */
export const blockText = (step: ThinkingStep | undefined, text: string): string =>
  step?.apart && text.startsWith(THINKING_SEPARATOR) ? text.slice(THINKING_SEPARATOR.length) : text;

/**
 * Marks a signature carried as `encrypted_content`, so that it is told apart from a Responses
 * server's own (OpenAI's, which only it can read): a marked one never goes to a server of the
 * Responses API (translate/responses/item-references.ts). It names the provider that signed
 * (`mindgw-thinking:v2:<provider>:<signature>`; a provider's name has no colon), and goes back as a
 * signature to that provider alone (`signatureFor`): a turn sent to another one after a switch of
 * model or a failover goes unsigned, as it went before signatures were carried. The mark is no
 * proof: no secret of the gateway's signs it, so a client can write one; it can make the gateway
 * send only the signature it wrote, to the provider it named, as its own thinking.
 */
const MARK = "mindgw-thinking:";
const SIGNED_BY = `${MARK}v2:`;

/** A block's signature, by `provider`, as a reasoning item's `encrypted_content`; undefined when it has none. */
export const encryptedThinking = (signature: string, provider: string): string | undefined =>
  signature === "" ? undefined : `${SIGNED_BY}${provider}:${signature}`;

/** Whether `encrypted` is thinking the gateway carried (`encryptedThinking`, or v1's, which named no provider). */
export const isCarriedThinking = (encrypted: unknown): boolean =>
  typeof encrypted === "string" && encrypted.startsWith(MARK);

/**
 * The signature a reasoning item's `encrypted_content` carries for `provider`: when
 * `encryptedThinking` wrote it for that provider; undefined for any other's, and for v1's.
 */
export function signatureFor(encrypted: unknown, provider: string): string | undefined {
  const prefix = `${SIGNED_BY}${provider}:`;
  return typeof encrypted === "string" && encrypted.startsWith(prefix)
    ? encrypted.slice(prefix.length)
    : undefined;
}
