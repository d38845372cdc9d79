/**
 * A search for many strings at once, all at least `width` characters long: each place of the text
 * is hashed once (a rolling hash of the `width` characters from it), and only a place whose hash is
 * some string's first `width` characters' is compared. A text costs time in proportion to its
 * length, however many strings there are (the gateway's configured credentials: one per provider,
 * a thousand say), where a search per string costs a scan each.
 */
export class ValueSearch {
  /** The strings by the hash of their first `width` characters, longest first in each list. */
  private readonly byHead = new Map<number, string[]>();
  /** BASE to the power width - 1, the weight of the character that leaves the window. */
  private readonly outgoing: number;

  constructor(
    values: Iterable<string>,
    private readonly width: number,
  ) {
    for (const value of [...values].sort((a, b) => b.length - a.length)) {
      if (value.length < width) continue;
      const head = hashOf(value, 0, width);
      const list = this.byHead.get(head);
      if (list) list.push(value);
      else this.byHead.set(head, [value]);
    }
    let weight = 1;
    for (let i = 1; i < width; i++) weight = Math.imul(weight, BASE);
    this.outgoing = weight;
  }

  get empty(): boolean {
    return this.byHead.size === 0;
  }

  /** Whether `text` holds one of the strings. */
  holdsAny(text: string): boolean {
    return this.firstFrom(text, 0) !== undefined;
  }

  /** `text` with each of the strings it holds replaced by `by` (at a place, the longest); the very string when none. */
  replaceAll(text: string, by: string): string {
    let found = this.firstFrom(text, 0);
    if (found === undefined) return text;
    let out = "";
    let kept = 0;
    while (found !== undefined) {
      out += text.slice(kept, found.at) + by;
      kept = found.at + found.length;
      found = this.firstFrom(text, kept);
    }
    return out + text.slice(kept);
  }

  /** The first place from `start` where one of the strings is, and its length. */
  private firstFrom(text: string, start: number): { at: number; length: number } | undefined {
    const { width } = this;
    if (this.byHead.size === 0 || text.length - start < width) return undefined;
    let hash = hashOf(text, start, width);
    for (let at = start; ; at++) {
      const candidates = this.byHead.get(hash);
      if (candidates)
        for (const value of candidates) if (text.startsWith(value, at)) return { at, length: value.length };
      if (at + width >= text.length) return undefined;
      hash =
        (Math.imul(hash - Math.imul(text.charCodeAt(at), this.outgoing), BASE) +
          text.charCodeAt(at + width)) |
        0;
    }
  }
}

const BASE = 31;

/** The hash of `width` characters of `text` from `at`, as the rolling hash reads them. */
function hashOf(text: string, at: number, width: number): number {
  let hash = 0;
  for (let i = at; i < at + width; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
  return hash;
}
