import { isJsonObject, type JsonObject } from "../core/dialect.ts";

/** Which field of a chat content part is by URL: its `image_url`, or its `file`'s `file_url`. */
export type UrlPartKind = "image_url" | "file";

/** A chat body's part by URL: where it is (`messages.<i>.content.<j>`) and which field it is. */
export interface UrlPart {
  readonly path: string;
  readonly kind: UrlPartKind;
}

/**
 * What of a content part is by URL for one upstream, by its own rule (which `data:` URLs it reads,
 * whether a `file_data` beside a `file_url` is read instead), or undefined; `message` the part's.
 */
export type UrlPartTest = (part: JsonObject, message: JsonObject) => UrlPartKind | undefined;

/**
 * The first content part of a chat body's messages that `byUrl` finds by URL, for its caller to
 * refuse in its own words (url-sources.ts toward Claude's Messages API, converse-url-parts.ts toward
 * Converse). Asked of every call to such a route as it is adapted: indexed loops, no iterator or
 * entry pair made per message and part; the path is made only for the part found.
 */
export function firstUrlPart(body: JsonObject, byUrl: UrlPartTest): UrlPart | undefined {
  const { messages } = body;
  if (!Array.isArray(messages)) return undefined;
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isJsonObject(message) || !Array.isArray(message.content)) continue;
    const parts = message.content;
    for (let j = 0; j < parts.length; j++) {
      const part: unknown = parts[j];
      const kind = isJsonObject(part) ? byUrl(part, message) : undefined;
      if (kind !== undefined) return { path: `messages.${i}.content.${j}`, kind };
    }
  }
  return undefined;
}
