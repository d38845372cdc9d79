/**
 * The bytes of one request as it is encoded, in a buffer reused call after call: a request is
 * written here and sent from here in the same turn, so encoding one makes no string and no buffer
 * (a request head built as strings made ~14 string cells a call, which the collector's sweep must
 * destroy: docs/BENCHMARKS-HISTORY.md, "Session 9: the collector and the c=1 tail").
 */
export class RequestBytes {
  /** The request so far: `bytes[0, size)`. Valid until the next `reset`. */
  bytes: Buffer & WritableBuffer;
  size = 0;

  /** `keep`: the buffer kept between requests; a larger request grows it for itself alone. */
  constructor(private readonly keep = 16 * 1024) {
    this.bytes = allocate(keep);
  }

  /** Starts a new request. */
  reset(): void {
    this.size = 0;
    if (this.bytes.byteLength > this.keep) this.bytes = allocate(this.keep);
  }

  /** Makes room for `count` more bytes. */
  room(count: number): void {
    const needed = this.size + count;
    if (needed <= this.bytes.byteLength) return;
    const grown = allocate(Math.max(needed, this.bytes.byteLength * 2));
    this.bytes.copy(grown, 0, 0, this.size);
    this.bytes = grown;
  }

  /** Text known to be ASCII (a checked name, a method), one byte a character. */
  ascii(text: string): void {
    this.room(text.length);
    this.size += this.bytes.latin1Write(text, this.size);
  }

  /**
   * A header line, `name: value` and its CRLF; the name is a checked token, and the value is
   * written only as `fetch` sends it unchanged (else false, the request left half written).
   */
  header(name: string, value: string): boolean {
    if (!VALUE.test(value)) return false;
    this.ascii(name);
    this.pair(58, 32); // ": "
    this.ascii(value);
    this.pair(13, 10);
    return true;
  }

  /** Two bytes (a CRLF, a colon and space): a native call costs more than the stores. */
  pair(first: number, second: number): void {
    this.room(2);
    this.bytes[this.size++] = first;
    this.bytes[this.size++] = second;
  }

  /** Bytes as they are (a constant piece of head, a body). */
  raw(piece: Uint8Array): void {
    this.room(piece.byteLength);
    this.bytes.set(piece, this.size);
    this.size += piece.byteLength;
  }

  /** Text as UTF-8 whose encoded size the caller knows (a body). */
  utf8(text: string, byteLength: number): void {
    this.room(byteLength);
    this.size += this.bytes.utf8Write(text, this.size, byteLength);
  }

  /** A non-negative integer in decimal. */
  decimal(value: number): void {
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.room(digits);
    let rest = value;
    for (let at = this.size + digits - 1; at >= this.size; at--) {
      this.bytes[at] = 48 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.size += digits;
  }
}

/**
 * Printable ASCII (and tabs inside), nothing `fetch` would trim off either end. Values with
 * Latin-1 bytes are legal but rare: `fetch` takes them.
 */
const VALUE = /^(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?$/;

/**
 * The Buffer writers Node and Bun have beside `write(text, offset, encoding)`, which parses its
 * arguments first: ~20–40 ns a short string against 60, and 25 against 370 for a body's UTF-8.
 */
interface WritableBuffer {
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number, length: number): number;
}

const allocate = (size: number) => Buffer.allocUnsafe(size) as Buffer & WritableBuffer;
