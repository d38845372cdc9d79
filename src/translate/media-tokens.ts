import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { CHARS_PER_TOKEN } from "./chars-per-token.ts";
import { isBase64Before, isTextDataUrl } from "./data-url.ts";

/**
 * What a medium in a prompt counts, in tokens, by the gateway's estimates (the prompt's size for a
 * route's window, a stream without usage, `message_start`, `count_tokens`). Nothing is decoded:
 * its base64 is never the model's text, and a vendor counts a medium by what it shows, not by its
 * bytes (a 600 KB photo is some 1,600 tokens, not the 200,000 its base64 would be as text).
 */
export const MEDIA_TOKENS = {
  /**
   * Anthropic counts width × height / 750 and scales an image down to about 1.15 megapixels first,
   * so no image costs it more than ~1,600 tokens; without its size decoded, an image counts that
   * cap (screenshots, the usual image of an agent's conversation, reach it). OpenAI's and
   * Gemini's counts are near it or below.
   */
  image: 1600,
  /**
   * A PDF (or another file but text): its pages are not counted (a PDF keeps its page objects in
   * compressed streams), so it counts one page as Claude reads one, the page's image and its text
   * (~1,600 + ~700). A longer document is more: the estimate errs low, as it does for text. A text
   * file counts its text (`textFileTokens`).
   */
  document: 2300,
  /** A clip: its length is not decoded, so a minute as Gemini counts it (32 tokens a second). */
  audio: 1920,
} as const;

type MediaKind = keyof typeof MEDIA_TOKENS;

/**
 * The tokens of a content part that is a medium, in whichever dialect it came: an image, a
 * document or file, an audio clip; undefined for any other part, whose strings are text. Known
 * by its shape alone (its `type`, or Gemini's untyped `inlineData`/`fileData`), so a prompt of
 * text pays a few property reads a part; only a file's data is read, for whether it is text
 * (`textFileTokens`).
 */
export function mediaTokens(part: JsonObject): number | undefined {
  const kind = mediaKind(part);
  if (kind === undefined) return undefined;
  return kind === "document" ? (textFileTokens(part) ?? MEDIA_TOKENS.document) : MEDIA_TOKENS[kind];
}

/**
 * A file part whose data is text (data-url.ts `isTextDataUrl`: a CSV, Markdown, a log), which reaches the
 * model as its text (Claude's plain-text document): its characters at the estimate's rate, as
 * many as its bytes, which its base64 holds three for every four, and the URL's own form writes one
 * a character or one a `%XX` escape. Known by the URL's start and a scan for `%`, never decoded
 * (a bare `%` is counted as an escape: the estimate errs low). Undefined for any other file (a
 * PDF, one by id or URL).
 */
function textFileTokens(part: JsonObject): number | undefined {
  const file = part.type === "file" ? part.file : part;
  const data = isJsonObject(file) ? file.file_data : undefined;
  if (typeof data !== "string" || !isTextDataUrl(data)) return undefined;
  const comma = data.indexOf(",");
  const written = data.length - comma - 1;
  const bytes = isBase64Before(data, comma) ? (written * 3) / 4 : written - 2 * escapes(data, comma + 1);
  return Math.ceil(bytes / CHARS_PER_TOKEN);
}

/** How many `%` escapes `data` holds from `from` on (each `%` taken for one). */
function escapes(data: string, from: number): number {
  let count = 0;
  for (let at = data.indexOf("%", from); at >= 0; at = data.indexOf("%", at + 1)) count++;
  return count;
}

function mediaKind(part: JsonObject): MediaKind | undefined {
  switch (part.type) {
    case "text":
      return undefined; // the usual part, ruled out first
    case "image_url": // chat, a data: URL or a link
    case "input_image": // Responses
    case "image": // Messages, any source
    case "image_generation_call": // Responses: a generated image sent back, its `result` base64
      return "image";
    case "input_audio": // chat
      return "audio";
    case "file": // chat: `file.file_data` (a data: URL) or `file.file_id`
    case "input_file": // Responses: `file_data`, `file_id` or `file_url`
      return "document";
    case "document": // Messages: a PDF (base64, url, file); a text document's text is text
      return isJsonObject(part.source) && (part.source.type === "text" || part.source.type === "content")
        ? undefined
        : "document";
  }
  if (part.type !== undefined) return undefined;
  // Gemini's parts: no type, the medium's MIME type inside.
  const blob = part.inlineData ?? part.fileData;
  return isJsonObject(blob) ? kindOfMime(blob.mimeType) : undefined;
}

const kindOfMime = (mimeType: unknown): MediaKind =>
  typeof mimeType !== "string"
    ? "document"
    : mimeType.startsWith("image/")
      ? "image"
      : mimeType.startsWith("audio/")
        ? "audio"
        : "document";
