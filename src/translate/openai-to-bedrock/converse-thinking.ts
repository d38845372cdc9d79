import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { thinkingOf } from "../thinking-blocks.ts";
import { claudeFeatures } from "./converse-claude.ts";

/**
 * A Claude that thinks (ChatTarget.takesThinking): a Messages caller's `thinking` goes to it as
 * written. An older one is sent none, and `thinking` is named, as for any other model.
 */
export const thinkingClaude = (model: string): boolean => claudeFeatures(model)?.thinks === true;

/**
 * A chat request's Anthropic `thinking` (a Messages caller's, as it wrote it:
 * anthropic-to-openai/messages-request-to-chat.ts), for Claude on Converse: in
 * `additionalModelRequestFields`, which Bedrock hands to the model as Anthropic's own field.
 * Undefined for a model that is no Claude that thinks, or a request without it.
 */
export function claudeThinking(body: JsonObject, model: string): JsonObject | undefined {
  return thinkingClaude(model) && isJsonObject(body.thinking) ? body.thinking : undefined;
}

/**
 * An assistant message's thinking as Converse takes it back (ReasoningContentBlock): each signed
 * block as `reasoningText` with its signature, each redacted one as `redactedContent` (its data,
 * base64, as Converse's JSON says a blob). Read from the blocks noted beside the message as the
 * translation wrote it (`sent`: the request before any parse, which copies).
 */
export function reasoningBlocks(sent: unknown): JsonObject[] {
  return (thinkingOf(sent) ?? []).map((block) =>
    block.redacted !== undefined
      ? { reasoningContent: { redactedContent: block.redacted } }
      : { reasoningContent: { reasoningText: { text: block.thinking, signature: block.signature } } },
  );
}
