import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { readDataUrl } from "../data-url.ts";
import { fileByUrl } from "./converse-document.ts";
import { imageByUrl } from "./converse-user-blocks.ts";

/**
 * Refuses a chat body's first user part by URL, an `image_url` that is no `data:` URL or a `file`
 * by `file_url` alone, asked as the call is adapted (CONVERSE_TARGET `refuseUnsent`), before the
 * attempt opens: a refusal there is no attempt (none audited, counted failed or failed over from),
 * as toward Claude's Messages API (url-sources.ts). One pass over the messages, nothing made; the
 * translation (converse-user-blocks.ts, converse-document.ts) says the same of a call given it
 * unadapted.
 */
export function refuseUrlParts(chat: JsonObject): void {
  const { messages } = chat;
  if (!Array.isArray(messages)) return;
  // Indexed loops: no iterator or entry pair made per message and part on the request path.
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isJsonObject(message) || message.role !== "user" || !Array.isArray(message.content)) continue;
    const parts = message.content;
    for (let j = 0; j < parts.length; j++) {
      const part: unknown = parts[j];
      if (isJsonObject(part) && byUrl(part)) {
        const path = `messages.${i}.content.${j}`;
        throw part.type === "file" ? fileByUrl(path) : imageByUrl(path);
      }
    }
  }
}

/** Whether `part` is an `image_url` that is no `data:` URL, or a `file` by `file_url` alone. */
function byUrl(part: JsonObject): boolean {
  if (part.type === "image_url") {
    const image = part.image_url;
    const url = isJsonObject(image) ? image.url : image;
    return typeof url === "string" && readDataUrl(url) === undefined;
  }
  const { file } = part;
  return (
    part.type === "file" && isJsonObject(file) && file.file_data === undefined && file.file_url !== undefined
  );
}
