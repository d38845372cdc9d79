import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { firstUrlPart, type UrlPartKind } from "../chat-url-parts.ts";
import { isDataUrl } from "../data-url.ts";
import { fileByUrl } from "./converse-document.ts";
import { imageByUrl } from "./converse-user-blocks.ts";

/**
 * Refuses a chat body's first user part by URL, an `image_url` that is no `data:` URL or a `file`
 * by `file_url` alone, asked as the call is adapted (CONVERSE_TARGET `refuseUnsent`), before the
 * attempt opens: a refusal there is no attempt (none audited, counted failed or failed over from),
 * as toward Claude's Messages API (url-sources.ts). One pass over the messages, nothing made
 * (chat-url-parts.ts); the translation (converse-user-blocks.ts, converse-document.ts) says the same
 * of a call given it unadapted.
 */
export function refuseUrlParts(chat: JsonObject): void {
  const found = firstUrlPart(chat, byUrl);
  if (found === undefined) return;
  throw found.kind === "file" ? fileByUrl(found.path) : imageByUrl(found.path);
}

/** A user part's `image_url` that is no `data:` URL, or its `file` by `file_url` alone. */
function byUrl(part: JsonObject, message: JsonObject): UrlPartKind | undefined {
  if (message.role !== "user") return undefined;
  if (part.type === "image_url") {
    const image = part.image_url;
    const url = isJsonObject(image) ? image.url : image;
    return typeof url === "string" && !isDataUrl(url) ? "image_url" : undefined;
  }
  const { file } = part;
  return part.type === "file" &&
    isJsonObject(file) &&
    file.file_data === undefined &&
    file.file_url !== undefined
    ? "file"
    : undefined;
}
