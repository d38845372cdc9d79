import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { type AssistantTurn, assistantTurnsRewritten } from "./assistant-turns.ts";
import type { Dropped } from "./dropped.ts";
import { reasoningBlob } from "./reasoning-blob.ts";

/** Why such a block cannot go to Claude. */
const UNSIGNED = "carries no signature Claude made (reasoning another route wrote)";

/**
 * A Messages request as Claude takes it back: without the thinking it did not sign.
 *
 * A chat route's reasoning reaches an Anthropic caller as a `thinking` block with an empty
 * signature (chat-response-to-messages.ts: no Anthropic model wrote it), which Claude Code keeps in
 * the conversation; when the conversation goes on to Claude (a failover, a model switch
 * mid-session), Anthropic, Bedrock and Vertex AI refuse the whole request: 400 "messages.1.content.0:
 * Invalid `signature` in `thinking` block". Such a block is left out and named, as is a
 * `redacted_thinking` block without its `data` (only Claude writes one, the gateway never does,
 * but a client that rebuilt the conversation may send one empty); an assistant turn left with no
 * block goes too (Claude joins the user turns around it). A signature is Claude's to check: one
 * of Anthropic's is good on Bedrock and Vertex AI alike, so a block that has one goes as it is.
 *
 * The body itself when nothing was left out; `lookForThinking` tells first, making nothing
 * (thinking-found.ts).
 */
export function withoutUnsignedThinking(body: JsonObject, dropped: Dropped): JsonObject {
  const kept = leftOut(body, LEAVES_OUT_UNSIGNED, dropped);
  return kept === undefined ? body : withThinkingClaudeTakes({ ...body, messages: kept }, dropped);
}

/** Which blocks of an assistant turn are left out, how each is named, and why. */
interface LeftOut {
  readonly is: (block: unknown) => block is JsonObject & { type: string };
  readonly name: (type: string) => string;
  readonly why: string;
}

const LEAVES_OUT_UNSIGNED: LeftOut = {
  is: isUnsigned,
  name: (type) => `content.${type} (unsigned)`,
  why: UNSIGNED,
};

/** The conversation without the blocks `rule` leaves out, or undefined when it holds none. */
const leftOut = (body: JsonObject, rule: LeftOut, dropped: Dropped): unknown[] | undefined =>
  assistantTurnsRewritten(body, (message, i) => blocksLeftOut(message, i, rule, dropped));

/** An assistant turn's blocks without those `rule` leaves out; undefined when it has none. */
function blocksLeftOut(
  message: AssistantTurn,
  i: number,
  rule: LeftOut,
  dropped: Dropped,
): unknown[] | undefined {
  const blocks = message.content;
  let kept: unknown[] | undefined;
  for (let j = 0; j < blocks.length; j++) {
    const block = blocks[j];
    if (rule.is(block)) {
      kept ??= blocks.slice(0, j);
      dropped.add(rule.name(block.type), `messages.${i}.content.${j}`, rule.why);
    } else kept?.push(block);
  }
  return kept;
}

/** A thinking block whose signature (a redacted one's `data`) is missing or empty. */
export function isUnsigned(block: unknown): block is JsonObject & { type: string } {
  if (!isJsonObject(block) || !isThinking(block)) return false;
  const blob = block[reasoningBlob(block) ?? ""];
  return typeof blob !== "string" || blob === "";
}

/** A `redacted_thinking` block: Claude's thinking, encrypted. */
export function isRedacted(block: unknown): block is JsonObject & { type: string } {
  return isJsonObject(block) && block.type === "redacted_thinking";
}

/** The message's first block, or undefined when its content is no list of blocks. */
const firstBlock = (message: unknown): unknown =>
  isJsonObject(message) && Array.isArray(message.content) ? message.content[0] : undefined;

const isThinking = (block: unknown): boolean =>
  isJsonObject(block) && (block.type === "thinking" || block.type === "redacted_thinking");

const holds = (message: unknown, type: string): boolean =>
  isJsonObject(message) &&
  Array.isArray(message.content) &&
  message.content.some((block) => isJsonObject(block) && block.type === type);

/**
 * With `thinking: {type: "enabled"}` (extended thinking, Claude 4.5 and before), Claude refuses a
 * tool loop whose assistant turn does not begin with thinking (400 "a final `assistant` message
 * must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result`
 * blocks) … To avoid this requirement, disable `thinking`"), as the turn is once its unsigned
 * thinking is left out, and as Claude's own next turns of the loop are once it answered without:
 * until the loop ends, the call goes without `thinking`, and without the `clear_thinking` edits
 * Claude Code sends in `context_management`, which Claude refuses without it; both named.
 * Adaptive thinking asks for no such block: there Claude decides whether to think at all, and may
 * skip it (Anthropic's "Adaptive thinking", AWS's page of it alike), and a tool call it
 * is made to make skips thinking, its answer opening with the call ("Thinking in tool and
 * multi-turn workflows", https://platform.claude.com/docs/en/build-with-claude/thinking-tool-workflows):
 * a turn it takes back as it answered it. Save on the Claudes that always think and so refuse a
 * forced call with a 400 (that page: Sonnet 5.5, Opus 5.5, Fable 5.1, Mythos 5.1), which the
 * gateway refuses before the call (forced-tool-refused.ts); their answers, too, only "may begin"
 * with thinking blocks ("What's new in Claude Opus 5.5"). That page's rule, whatever the mode, that a tool loop's
 * thinking blocks come back complete and unmodified is of the blocks Claude returned, which are
 * signed and go as they are; the blocks left out here are none of them.
 */
function withThinkingClaudeTakes(body: JsonObject, dropped: Dropped): JsonObject {
  if (!isJsonObject(body.thinking) || body.thinking.type !== "enabled") return body;
  const messages = body.messages as unknown[];
  const turn = messages.findLast((message) => isJsonObject(message) && message.role === "assistant");
  const inLoop = holds(turn, "tool_use") && holds(messages.at(-1), "tool_result");
  if (!inLoop || isThinking(firstBlock(turn))) return body;
  const { thinking: _off, ...rest } = body;
  dropped.add(
    "thinking",
    "thinking",
    "cannot be kept: the tool loop's assistant turn has no thinking Claude signed",
  );
  const management = rest.context_management;
  if (!isJsonObject(management) || !Array.isArray(management.edits)) return rest;
  const edits = management.edits.filter((edit, k) => {
    const type = isJsonObject(edit) ? String(edit.type) : "";
    if (!type.startsWith("clear_thinking")) return true;
    dropped.add(`context_management.edits.${type}`, `context_management.edits.${k}`, "needs thinking");
    return false;
  });
  if (edits.length === management.edits.length) return rest;
  const { context_management: _edited, ...without } = rest;
  return edits.length === 0 ? without : { ...without, context_management: { ...management, edits } };
}
