import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";
import { urlCitation } from "../url-citation.ts";

/**
 * What of a candidate's `groundingMetadata` (Google Search grounding) the citations read. A source
 * or support the gateway cannot read is that one left out, not the others.
 */
const groundingMetadata = z.looseObject({
  groundingChunks: z
    .array(
      z
        .looseObject({ web: z.looseObject({ uri: z.string(), title: z.string().optional() }).optional() })
        .optional()
        .catch(undefined),
    )
    .optional(),
  groundingSupports: z
    .array(
      z
        .looseObject({
          segment: z.looseObject({ startIndex: z.number().optional(), endIndex: z.number().optional() }),
          groundingChunkIndices: z.array(z.number()).optional(),
        })
        .optional()
        .catch(undefined),
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
  const supports = (parsed.data.groundingSupports ?? []).flatMap((support) =>
    support
      ? [
          {
            start: support.segment.startIndex ?? 0,
            end: support.segment.endIndex ?? 0,
            sources: support.groundingChunkIndices ?? [],
          },
        ]
      : [],
  );
  const indexes = utf16Indexes(
    text,
    supports.flatMap(({ start, end }) => [start, end]),
  );
  return supports.flatMap(({ start, end, sources }) => {
    // A segment that ends before it starts cites nothing the caller could cut out.
    if (end < start) return [];
    const from = indexes.get(start) ?? 0;
    const to = indexes.get(end) ?? 0;
    return sources.flatMap((i) => {
      const web = chunks[i]?.web;
      return web ? [urlCitation(web.uri, web.title ?? "", from, to)] : [];
    });
  });
}

/**
 * UTF-8 byte offsets of `text` as its UTF-16 indexes, in one walk over the text however many
 * segments there are: an offset inside a character is that character's end; one past the text,
 * the text's length. A lone surrogate counts as UTF-8 writes it, U+FFFD's three bytes.
 */
function utf16Indexes(text: string, byteOffsets: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  let bytes = 0;
  let index = 0;
  for (const offset of [...new Set(byteOffsets)].sort((a, b) => a - b)) {
    while (bytes < offset && index < text.length) {
      const unit = text.charCodeAt(index);
      const pair = unit >= 0xd800 && unit < 0xdc00 && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00;
      bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : pair ? 4 : 3;
      index += pair ? 2 : 1;
    }
    out.set(offset, index);
  }
  return out;
}
