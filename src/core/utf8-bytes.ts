/**
 * A Buffer with its UTF-8 writer and reader called directly (Node and Bun have them beside
 * `write(text, offset, encoding)` and `toString(encoding, start, end)`, which parse their arguments
 * first): the way strings go into and out of bytes that cross to a thread.
 */
export type Utf8Bytes = Buffer & {
  /** Writes `text` at `offset`, at most `length` bytes; the bytes written. A lone surrogate is written as U+FFFD. */
  utf8Write(text: string, offset: number, length: number): number;
  utf8Slice(start: number, end: number): string;
};

/** `memory`'s bytes (all of it, or from `offset` for `length`) as `Utf8Bytes`, no copy. */
export const utf8Bytes = (memory: ArrayBufferLike, offset?: number, length?: number): Utf8Bytes =>
  Buffer.from(memory, offset, length) as Utf8Bytes;
