import { shown } from "../../core/cut-words.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { badRequest, type GatewayError } from "../../core/gateway-error.ts";
import { imageUrlOf, userContentParts } from "../chat-request-parts.ts";
import { notBase64, readDataUrl } from "../data-url.ts";
import type { OpenAIContentPart, OpenAIMessage } from "../openai-schema.ts";
import { withCachePoint } from "./converse-cache-point.ts";
import { type DocumentNames, documentBlock } from "./converse-document.ts";

const IMAGE_FORMATS = ["png", "jpeg", "gif", "webp"];

/**
 * An image by URL: Converse takes an image's bytes only. The route's refusal, before anything is
 * sent (converse-url-parts.ts, as the call is adapted), so the model's next route (one that fetches
 * it) is tried; the gateway fetches none itself.
 */
export const imageByUrl = (path: string): GatewayError =>
  badRequest(
    `${path}: an image by URL, which Bedrock's Converse does not fetch: send it as a base64 data: URL (${IMAGE_FORMATS.join(", ")}), or call a model whose upstream fetches URLs`,
    path,
    "unsupported_modality",
  );

/** A user message's parts: images and files (a PDF, a spreadsheet, …) as bytes, from `data:` URLs. */
export function userBlocks(
  message: OpenAIMessage,
  i: number,
  documents: DocumentNames,
  caches: boolean,
): JsonObject[] {
  const each = caches
    ? (part: OpenAIContentPart, blocks: JsonObject[]) => withCachePoint(blocks, part.cache_control)
    : undefined;
  return userContentParts(
    message,
    i,
    (part, path) => {
      if (part.type === "file") return documentBlock(part, path, documents);
      const url = part.type === "image_url" ? imageUrlOf(part) : undefined;
      if (url === undefined)
        throw badRequest(`${path}: content part "${shown(part.type)}" is not supported on this model`, path);
      const data = readDataUrl(url);
      // By URL: refused as the call was adapted (converse-url-parts.ts); said again to a call given unadapted.
      if (!data) throw imageByUrl(path);
      if (!data.base64) throw notBase64(path, "image_url", data);
      const format = data.mediaType.replace(/^image\//, "");
      if (!format || !IMAGE_FORMATS.includes(format))
        throw badRequest(
          `${path}: this model takes images only as base64 data: URLs (png, jpeg, gif, webp)`,
          path,
        );
      return { image: { format, source: { bytes: data.data } } };
    },
    each,
  );
}
