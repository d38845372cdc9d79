import type { JsonObject } from "../../core/dialect.ts";
import { urlCitations } from "./url-citations.ts";

/**
 * A Messages stream's web search citations, gathered as chat annotations: each text block's
 * citations (its `citations_delta`s, which come before its text) over that block's text, from where
 * `content` stood at its start to where it stands at its stop, as the whole answer has them
 * (messages-response-to-chat.ts). Said once, after the text (`annotations`).
 */
export class StreamedCitations {
  /** The open text blocks by Anthropic's index: where each began in `content`, its citations. */
  private readonly open = new Map<number, { start: number; citations: unknown[] }>();
  readonly annotations: JsonObject[] = [];

  /** A text block began at `at` (UTF-16 length of `content` so far). */
  opened(block: number, at: number): void {
    this.open.set(block, { start: at, citations: [] });
  }

  cited(block: number, citation: unknown): void {
    this.open.get(block)?.citations.push(citation);
  }

  /** A block ended with `content` `at` long: a text block's citations become annotations. */
  closed(block: number, at: number): void {
    const text = this.open.get(block);
    if (text === undefined) return;
    this.open.delete(block);
    this.annotations.push(...urlCitations(text.citations, text.start, at));
  }
}
