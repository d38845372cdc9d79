import { shown } from "../../core/cut-words.ts";
import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { badRequest, type GatewayError } from "../../core/gateway-error.ts";

/** A content block of a Messages request, as the translation to chat reads it. */
export type Block = { type: string } & Record<string, unknown>;

export const isBlock = (value: unknown): value is Block =>
  isJsonObject(value) && typeof value.type === "string";

/** An image or document block's `source`, by its `type`, once checked. */
export type BlockSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string }
  | { type: "text"; media_type: string; data: string }
  | { type: "content"; content: unknown };

/** What each source type must carry, as Anthropic refuses a source without it. */
const REQUIRED: Readonly<Record<BlockSource["type"], readonly string[]>> = {
  base64: ["media_type", "data"],
  url: ["url"],
  file: ["file_id"],
  text: ["media_type", "data"],
  content: ["content"],
};

/**
 * The `source` of an image or document block at `path`, checked before anything is translated: a
 * block without one, or a source without what its type requires, is the caller's 400 in Anthropic's
 * own words and paths (`messages.0.content.1.image.source.base64.data: Field required`), as
 * Anthropic answers it — never a block left out in silence. `types` are the source types the block
 * takes.
 */
export function blockSource(block: Block, path: string, types: readonly BlockSource["type"][]): BlockSource {
  const at = `${path}.${block.type}.source`;
  const { source } = block;
  if (!isJsonObject(source)) throw badRequest(`${at}: Field required`, at);
  const type = source.type;
  if (typeof type !== "string")
    throw badRequest(`${at}: Unable to extract tag using discriminator 'type'`, at);
  if (!(types as readonly string[]).includes(type)) {
    const expected = types.map((name) => `'${name}'`).join(", ");
    throw badRequest(
      `${at}: Input tag '${shown(type)}' found using 'type' does not match any of the expected tags: ${expected}`,
      at,
    );
  }
  for (const field of REQUIRED[type as BlockSource["type"]]) {
    const value = source[field];
    if (field === "content" ? value == null : typeof value !== "string") {
      const missing = `${at}.${type}.${field}`;
      throw badRequest(`${missing}: Field required`, missing);
    }
  }
  return source as BlockSource;
}

/**
 * A block's `field` that Anthropic requires as a string (a text block's `text`, a tool_use's `id`
 * and `name`, a tool_result's `tool_use_id`): one missing or of another type is the caller's 400
 * in Anthropic's words (`messages.2.content.0.tool_result.tool_use_id: Field required`), never a
 * block left out in silence or a call sent with an empty id.
 */
export function blockString(block: Block, path: string, field: string): string {
  const value = block[field];
  if (typeof value === "string") return value;
  throw blockFieldRefused(block, path, field, "string");
}

/**
 * A block's `field` that Anthropic requires as an object (a tool_use's `input`), refused as
 * `blockString` refuses: one of another type (`messages.1.content.0.tool_use.input: Input should be
 * a valid dictionary`) is never sent on as its JSON text, nor one missing as `{}`.
 */
export function blockObject(block: Block, path: string, field: string): JsonObject {
  const value = block[field];
  if (isJsonObject(value)) return value;
  throw blockFieldRefused(block, path, field, "dictionary");
}

/** Anthropic's 400 for a block's field missing, or not of the `kind` it must be. */
function blockFieldRefused(block: Block, path: string, field: string, kind: string): GatewayError {
  const at = `${path}.${block.type}.${field}`;
  return badRequest(
    `${at}: ${block[field] === undefined ? "Field required" : `Input should be a valid ${kind}`}`,
    at,
  );
}
