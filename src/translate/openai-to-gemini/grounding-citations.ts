import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";
import { urlCitation } from "../url-citation.ts";

/** What of a candidate's `groundingMetadata` (Google Search grounding) the citations read. */
const groundingMetadata = z.looseObject({
  groundingChunks: z
    .array(
      z.looseObject({ web: z.looseObject({ uri: z.string(), title: z.string().optional() }).optional() }),
    )
    .optional(),
  groundingSupports: z
    .array(
      z.looseObject({
        segment: z.looseObject({ startIndex: z.number().optional(), endIndex: z.number().optional() }),
        groundingChunkIndices: z.array(z.number()).optional(),
      }),
    )
    .optional(),
});

/**
 * A candidate's Google Search grounding as chat's `url_citation` annotations over `text`, the
 * message's `content`: each support's web sources (`groundingChunks[].web`, a redirect URL and the
 * site's name) over its segment, in the support's order of sources. Google counts a segment in
 * UTF-8 bytes of the answer's text (a first segment's 0 left out, as proto3 JSON leaves out zeros);
 * chat in UTF-16 code units, as the caller's string has them. Another grounding's sources
 * (`retrievedContext`, `maps`) have no URL of the web and are left out; grounding the gateway cannot
 * read costs the caller its citations, not the answer.
 */
export function groundingCitations(metadata: unknown, text: string): JsonObject[] {
  const parsed = groundingMetadata.safeParse(metadata);
  if (!parsed.success) return [];
  const chunks = parsed.data.groundingChunks ?? [];
  return (parsed.data.groundingSupports ?? []).flatMap((support) => {
    const start = utf16Index(text, support.segment.startIndex ?? 0);
    const end = utf16Index(text, support.segment.endIndex ?? 0);
    return (support.groundingChunkIndices ?? []).flatMap((i) => {
      const web = chunks[i]?.web;
      return web ? [urlCitation(web.uri, web.title ?? "", start, end)] : [];
    });
  });
}

/**
 * A UTF-8 byte offset of `text` as its UTF-16 index: an offset inside a character is that
 * character's end; one past the text, the text's length.
 */
function utf16Index(text: string, byteOffset: number): number {
  let bytes = 0;
  let index = 0;
  for (const character of text) {
    if (bytes >= byteOffset) return index;
    const point = character.codePointAt(0) ?? 0;
    bytes += point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    index += character.length;
  }
  return index;
}
