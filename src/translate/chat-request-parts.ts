import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { isCacheMarked } from "./cache-marks.ts";
import { isBlankTextFile } from "./data-url-text.ts";
import { hasText } from "./has-text.ts";
import type { OpenAIChatRequest, OpenAIContentPart, OpenAIMessage } from "./openai-schema.ts";

/** The plain text of a chat message's content (text parts joined; refusals count as text). */
export function messageText(message: Pick<OpenAIMessage, "content">): string {
  const { content } = message;
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text ?? part.refusal ?? "").join("");
}

/** A text a translation writes as one block, and the caller's breakpoint that follows it (if any). */
export interface MarkedText {
  readonly text: string;
  /** The part's `cache_control` (cache-marks.ts), as written. */
  readonly mark?: unknown;
}

/**
 * A system or assistant message's text as the texts a translation writes a block each, for Claude
 * on Anthropic's Messages and on Bedrock Converse alike: one, its parts' text joined, when no part
 * is marked (or the upstream takes no breakpoint: `marks` false); else one a part, each with its
 * part's mark, so a breakpoint falls right after the text it marks, not after the rest. Blank
 * texts are left out: both refuse a text block of only whitespace. Each writes its own block and
 * breakpoint (Anthropic's `cache_control` on the block, Converse's `cachePoint` block after it).
 */
export function markedTexts(message: OpenAIMessage, marks = true): MarkedText[] {
  const { content } = message;
  if (!marks || !Array.isArray(content) || !content.some(isCacheMarked)) {
    const text = messageText(message);
    return hasText(text) ? [{ text }] : [];
  }
  return content.flatMap((part) => {
    const text = part.text ?? part.refusal ?? "";
    return hasText(text) ? [{ text, mark: part.cache_control }] : [];
  });
}

/**
 * `response_format` for an upstream that cannot enforce it: an instruction for the system
 * prompt (the schema is shown to the model, not enforced). Undefined for plain text.
 */
export function formatInstruction(format: OpenAIChatRequest["response_format"]): string | undefined {
  if (!format || format.type === "text") return undefined;
  const schema = format.json_schema?.schema;
  if (format.type === "json_schema" && schema !== undefined) {
    return `Respond with only a JSON value that conforms to this JSON Schema, with no other text:\n${JSON.stringify(schema)}`;
  }
  return "Respond with only a valid JSON object, with no other text.";
}

/**
 * A user message's content as another vendor's parts: a string and text parts become
 * `{ text }`, every other part goes to `other` with its request path (for a 400 that names it). A
 * file given by OpenAI file id is left out: no other vendor can read it, and the router has named
 * it (chat-target.ts).
 */
export function userContentParts(
  message: Pick<OpenAIMessage, "content">,
  i: number,
  other: (part: OpenAIContentPart, path: string) => JsonObject,
  each?: (part: OpenAIContentPart, blocks: JsonObject[]) => JsonObject[],
): JsonObject[] {
  const { content } = message;
  if (content == null) return [];
  if (typeof content === "string") return hasText(content) ? [{ text: content }] : [];
  return content.flatMap((part, j) => {
    const blocks =
      part.type === "text"
        ? hasText(part.text)
          ? [{ text: part.text }]
          : []
        : isFileById(part) || (part.type === "file" && isBlankTextFile(part.file?.file_data))
          ? []
          : [other(part, `messages.${i}.content.${j}`)];
    // What a vendor writes after a part's blocks (Converse: a cache point after a marked part).
    return each ? each(part, blocks) : blocks;
  });
}

/**
 * A `file` part that names a file in OpenAI's Files store and carries nothing else: another vendor
 * cannot read it. Read from the request as parsed or as sent (chat-target.ts).
 */
export function isFileById(part: { readonly type?: unknown; readonly file?: unknown }): boolean {
  const { file } = part;
  return (
    part.type === "file" &&
    isJsonObject(file) &&
    file.file_id !== undefined &&
    file.file_data === undefined &&
    file.file_url === undefined
  );
}

/** The URL of an `image_url` part, whichever of its two shapes it has. */
export const imageUrlOf = (part: OpenAIContentPart): string | undefined =>
  part.image_url === undefined
    ? undefined
    : typeof part.image_url === "string"
      ? part.image_url
      : part.image_url.url;
