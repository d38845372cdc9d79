import type { JsonObject } from "../../core/dialect.ts";
import type { Dropped } from "../dropped.ts";
import { type Block, blockSource } from "./block-source.ts";

/**
 * An image as an `image_url` part: a URL as it is, base64 as a data URL. A Files API image
 * (`source.type: file`) names a file only Anthropic holds. A source missing, or without what its
 * type requires, is the caller's 400 (block-source.ts).
 */
export function imagePart(block: Block, path: string, dropped: Dropped): JsonObject | undefined {
  const source = blockSource(block, path, ["base64", "url", "file"]);
  if (source.type === "url") return { type: "image_url", image_url: { url: source.url } };
  if (source.type === "base64")
    return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  dropped.add(`content.image.${source.type}`, `${path}.source.type`);
  return undefined;
}
