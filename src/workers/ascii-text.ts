/**
 * Short printable-ASCII texts in a binary frame (a content type, a request id, a path): a
 * 1-byte length, then one byte a character. Texts outside that (longer, other characters) are
 * not framed so: the frame's JSON form carries them instead.
 */
export const MAX_ASCII_TEXT = 255;

/**
 * The runtime's native Latin-1 slice (`Buffer.prototype.latin1Slice`), called on a plain
 * Uint8Array: for the printable ASCII read here it is the text, at about a third of a
 * `TextDecoder`'s cost for such short texts (and no subarray to make).
 */
const latin1Slice = (
  Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }
).latin1Slice;

/** Bytes `text` takes framed; -1 if it cannot be (too long, or not printable ASCII). */
export function asciiSize(text: string): number {
  if (text.length > MAX_ASCII_TEXT) return -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7e || code < 0x20) return -1;
  }
  return 1 + text.length;
}

/** Writes a text `asciiSize` accepted at `at`; returns where the next field starts. */
export function writeAscii(out: Uint8Array, at: number, text: string): number {
  out[at] = text.length;
  for (let i = 0; i < text.length; i++) out[at + 1 + i] = text.charCodeAt(i);
  return at + 1 + text.length;
}

/**
 * The last text read at one field of a kind of frame (a path, a model, a content type: the same
 * on most requests), kept with its bytes, so that the same text again is handed back without a
 * string made for it (the native slice was ~2 % of the worker's samples: docs/BENCHMARKS-HISTORY.md,
 * "Session 12: the worker route").
 */
export class AsciiCache {
  bytes: Uint8Array = new Uint8Array(0);
  text = "";
}

/**
 * A frame's texts read one after another from `at`: each `next` gives a text and moves `at` past
 * it (not a tuple a text: a request and its answer have six texts between them). A decoder keeps
 * one and points it at each frame (`over`): no object a frame.
 */
export class AsciiFields {
  constructor(
    private bytes: Uint8Array = new Uint8Array(0),
    /** Where the next text starts; past the last one read, the rest of the frame. */
    public at = 0,
    private end = 0,
  ) {}

  /** Reads `bytes` from `at` to `end` next, as a new reader would. */
  over(bytes: Uint8Array, at: number, end: number): this {
    this.bytes = bytes;
    this.at = at;
    this.end = end;
    return this;
  }

  /**
   * The next text; undefined if it overruns the end or is not printable ASCII. `cache`: the
   * field's last text, handed back where the bytes are the same.
   */
  next(cache?: AsciiCache): string | undefined {
    const { bytes, at } = this;
    if (at >= this.end) return undefined;
    const length = bytes[at] as number;
    const next = at + 1 + length;
    if (next > this.end) return undefined;
    const cached = cache?.bytes;
    let same = cached !== undefined && cached.byteLength === length;
    for (let i = at + 1; i < next; i++) {
      const code = bytes[i] as number;
      if (code > 0x7e || code < 0x20) return undefined;
      if (same && (cached as Uint8Array)[i - at - 1] !== code) same = false;
    }
    this.at = next;
    if (same) return (cache as AsciiCache).text;
    if (length === 0) return "";
    // Natively: far cheaper than building the string a character at a time.
    const text: string = latin1Slice.call(bytes, at + 1, next);
    if (cache) {
      cache.bytes = bytes.slice(at + 1, next);
      cache.text = text;
    }
    return text;
  }
}
