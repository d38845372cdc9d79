/**
 * The bytes of one request as it is encoded, in a buffer reused call after call: a request is
 * written here and sent from here in the same turn, so encoding one makes no string and no buffer
 * (a request head built as strings made ~14 string cells a call, which the collector's sweep must
 * destroy: docs/BENCHMARKS-HISTORY.md, "Session 9: the collector and the c=1 tail").
 */
export class RequestBytes {
  /**
   * The request so far: `bytes[0, size)`. Valid until the next `reset`. After `body` it may be a
   * view of the body's own buffer, the head written in front of the body there.
   */
  bytes: Buffer & WritableBuffer;
  size = 0;
  /**
   * `bytes` is a buffer grown for this request alone (a large body's): nothing writes over it
   * once the request is sent, so what the socket does not take at once may be kept as it is
   * rather than copied, and nothing here holds it after (`reset`).
   */
  alone = false;
  /** The buffer kept between requests. */
  private readonly kept: Buffer & WritableBuffer;

  /**
   * `keep`: the size of the buffer kept between requests; a larger request grows one for itself
   * alone. `headroom`: how many bytes just before a body in its buffer this client may write
   * over (none, unless its caller's bodies are made with room for a head: export-client.ts).
   */
  constructor(
    keep = 16 * 1024,
    private readonly headroom: (body: Uint8Array) => number = noHeadroom,
  ) {
    this.kept = allocate(keep);
    this.bytes = this.kept;
  }

  /** Starts a new request. */
  reset(): void {
    this.size = 0;
    this.bytes = this.kept;
    this.alone = false;
  }

  /** Makes room for `count` more bytes. */
  room(count: number): void {
    const needed = this.size + count;
    if (needed <= this.bytes.byteLength) return;
    const grown = allocate(Math.max(needed, this.bytes.byteLength * 2));
    this.bytes.copy(grown, 0, 0, this.size);
    this.bytes = grown;
    this.alone = true;
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

  /**
   * A body of bytes, the request's last piece: written after the head as its caller made it
   * when there is room for the head in front of it in its buffer (the head copied there, a few
   * hundred bytes, where the body was copied after the head: ~200 KB a trace export), else copied.
   */
  body(piece: Uint8Array): void {
    const head = this.size;
    if (this.headroom(piece) < head) {
      this.raw(piece);
      return;
    }
    const request = Buffer.from(piece.buffer, piece.byteOffset - head, head + piece.byteLength);
    this.bytes.copy(request, 0, 0, head);
    this.bytes = request as Buffer & WritableBuffer;
    this.size = request.byteLength;
    // The caller's buffer, which it writes again.
    this.alone = false;
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

const noHeadroom = () => 0;

const allocate = (size: number) => Buffer.allocUnsafe(size) as Buffer & WritableBuffer;
