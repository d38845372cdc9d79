import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { firstUrlPart, type UrlPartKind } from "./chat-url-parts.ts";
import { isBase64DataUrl } from "./data-url.ts";
import type { Dropped } from "./dropped.ts";

/**
 * Why an image or document by URL is refused for a route whose upstream fetches none (Claude on
 * Vertex AI: "URL sources are not supported"). The gateway never fetches it in the upstream's place.
 */
const WHY =
  "is by URL, which this route's upstream does not fetch (Claude on Vertex AI takes images and documents only as data): send it as base64 data, or call a model whose upstream fetches URLs";

/**
 * Refuses (`Dropped.refuse`: the route's `unsupported_modality`, so a next route is tried) a
 * Messages body's first image or document by `url` source, in a turn's content or a tool result's.
 */
export function refuseMessagesUrlSources(body: JsonObject, dropped: Dropped): void {
  const { messages } = body;
  if (!Array.isArray(messages)) return;
  for (const [i, message] of messages.entries()) {
    if (!isJsonObject(message) || !Array.isArray(message.content)) continue;
    for (const [j, block] of message.content.entries()) {
      if (!isJsonObject(block)) continue;
      refuseUrlBlock(block, `messages.${i}.content.${j}`, dropped);
      if (block.type !== "tool_result" || !Array.isArray(block.content)) continue;
      for (const [k, inner] of block.content.entries())
        if (isJsonObject(inner)) refuseUrlBlock(inner, `messages.${i}.content.${j}.content.${k}`, dropped);
    }
  }
}

function refuseUrlBlock(block: JsonObject, path: string, dropped: Dropped): void {
  const { source } = block;
  if (isJsonObject(source) && source.type === "url")
    dropped.refuse(`${block.type} (url)`, `${path}.source`, WHY);
}

/**
 * Refuses a chat body's first part that the translation to Messages would send by `url` source
 * (chat-request-to-messages.ts): an `image_url` that is no base64 `data:` URL, a `file` by
 * `file_url`. Named where the caller sent it (`Dropped` resolves a Responses caller's paths). One
 * pass over the messages, nothing made (chat-url-parts.ts).
 */
export function refuseChatUrlSources(body: JsonObject, dropped: Dropped): void {
  const found = firstUrlPart(body, bySource);
  if (found === undefined) return;
  if (found.kind === "image_url") dropped.refuse("image_url", `${found.path}.image_url`, WHY);
  dropped.refuse("file.file_url", `${found.path}.file.file_url`, WHY);
}

/** A part Messages would be sent by `url` source: an image that is no base64 data: URL, a file by URL. */
function bySource(part: JsonObject): UrlPartKind | undefined {
  if (part.type === "image_url") {
    const image = part.image_url;
    const url = isJsonObject(image) ? image.url : image;
    return typeof url === "string" && !isBase64DataUrl(url) ? "image_url" : undefined;
  }
  const { file } = part;
  return part.type === "file" && isJsonObject(file) && file.file_url !== undefined ? "file" : undefined;
}
