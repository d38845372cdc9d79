import { bytesOf, joinedRanges } from "./byte-view.ts";

const CR = 13;
const LF = 10;
/** A chunk-size line (hex size plus extensions) longer than this is not HTTP. */
const MAX_SIZE_LINE = 4096;
/** Trailers are skipped, but never buffered without bound. */
const MAX_TRAILERS = 64 * 1024;

// The decoder's states, as small integers for a tight switch.
const SIZE = 0;
const SIZE_LF = 1;
const DATA = 2;
const DATA_CR = 3;
const DATA_LF = 4;
const TRAILER_START = 5;
const TRAILER_LINE = 6;
const TRAILER_END_LF = 7;
const DONE = 8;

/** A `Transfer-Encoding: chunked` body that breaks the framing. */
export class ChunkedBodyError extends Error {}

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 97 && byte <= 102) return byte - 87;
  if (byte >= 65 && byte <= 70) return byte - 55;
  return -1;
}

/**
 * Decodes a chunked body incrementally, in whatever pieces the socket delivers: the chunk data a
 * push holds goes to `emit` once, as one piece (byte-view.ts: the push's one range as it is, or
 * every range copied into one new buffer: one allocation a socket read, not one a chunk and a
 * join of them as the body holds them), chunk extensions and trailers are read past, and the
 * decoder stops right after the final CRLF so that bytes beyond the body are visible to the
 * caller (a server that sends them has broken the connection's framing). One a connection,
 * `reset` for each chunked body.
 */
export class ChunkedDecoder {
  private state = SIZE;
  private size = 0;
  private digits = 0;
  private extension = false;
  private line = 0;
  private trailers = 0;
  /** The data of the push in progress, as [start, end) pairs of its input (emptied after each push). */
  private readonly ranges: number[] = [];

  get done(): boolean {
    return this.state === DONE;
  }

  /** A new body begins. */
  reset(): void {
    this.startSize();
    this.trailers = 0;
  }

  /**
   * Feeds `bytes` from `from` on; returns where the body ended in them (their length until the
   * end is seen). What data the push held is emitted before it returns, or before it throws on a
   * broken framing (as the data before the break went out when each chunk was emitted alone).
   */
  push(bytes: Uint8Array, from: number, emit: (data: Uint8Array) => void): number {
    let used: number;
    try {
      used = this.decode(bytes, from);
    } catch (error) {
      this.emitData(bytes, emit);
      throw error;
    }
    this.emitData(bytes, emit);
    return used;
  }

  private emitData(bytes: Uint8Array, emit: (data: Uint8Array) => void): void {
    const ranges = this.ranges;
    if (ranges.length === 0) return;
    const start = ranges[0] as number;
    const end = ranges[1] as number;
    if (ranges.length > 2) emit(joinedRanges(bytes, ranges));
    else emit(start === 0 && end === bytes.length ? bytes : bytesOf(bytes, start, end));
    ranges.length = 0;
  }

  private decode(bytes: Uint8Array, from: number): number {
    let i = from;
    const n = bytes.length;
    while (i < n) {
      switch (this.state) {
        case SIZE: {
          const byte = bytes[i++] as number;
          if (++this.line > MAX_SIZE_LINE) throw new ChunkedBodyError("chunk size line too long");
          if (byte === CR) this.state = SIZE_LF;
          else if (byte === LF) this.endSizeLine();
          else if (this.extension) continue;
          else if (byte === 59 || byte === 32 || byte === 9) this.extension = true;
          else {
            const value = hexValue(byte);
            // 13 hex digits stay within Number.MAX_SAFE_INTEGER.
            if (value < 0 || ++this.digits > 13) throw new ChunkedBodyError("bad chunk size");
            this.size = this.size * 16 + value;
          }
          break;
        }
        case SIZE_LF:
          if (bytes[i++] !== LF) throw new ChunkedBodyError("bad chunk size line");
          this.endSizeLine();
          break;
        case DATA: {
          const take = Math.min(this.size, n - i);
          this.ranges.push(i, i + take);
          i += take;
          this.size -= take;
          if (this.size === 0) this.state = DATA_CR;
          break;
        }
        case DATA_CR: {
          const byte = bytes[i++];
          if (byte === CR) this.state = DATA_LF;
          else if (byte === LF) this.startSize();
          else throw new ChunkedBodyError("chunk data longer than its size");
          break;
        }
        case DATA_LF:
          if (bytes[i++] !== LF) throw new ChunkedBodyError("chunk data longer than its size");
          this.startSize();
          break;
        case TRAILER_START: {
          const byte = bytes[i++];
          if (byte === CR) this.state = TRAILER_END_LF;
          else if (byte === LF) this.state = DONE;
          else this.state = TRAILER_LINE;
          this.countTrailer();
          break;
        }
        case TRAILER_LINE:
          if (bytes[i++] === LF) this.state = TRAILER_START;
          this.countTrailer();
          break;
        case TRAILER_END_LF:
          if (bytes[i++] !== LF) throw new ChunkedBodyError("bad end of trailers");
          this.state = DONE;
          break;
        case DONE:
          return i;
      }
    }
    return i;
  }

  private endSizeLine(): void {
    if (this.digits === 0) throw new ChunkedBodyError("missing chunk size");
    this.state = this.size === 0 ? TRAILER_START : DATA;
  }

  private startSize(): void {
    this.state = SIZE;
    this.size = 0;
    this.digits = 0;
    this.extension = false;
    this.line = 0;
  }

  private countTrailer(): void {
    if (++this.trailers > MAX_TRAILERS) throw new ChunkedBodyError("trailers too long");
  }
}
