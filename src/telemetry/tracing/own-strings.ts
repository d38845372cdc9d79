import { putVarint, varintSize } from "./proto-writer.ts";
import { SpareMemories } from "./spare-memories.ts";

/**
 * A batch's own strings (span-batch-layout.ts: request ids and other long values, trace states,
 * extras) as bytes in shared memory, each its UTF-8 after its length as a varint — protobuf's
 * form of a string field's value, which the encoder copies as it is (otlp-span-writer.ts). A
 * span's slot names one by the byte offset where it starts. Written on the event loop where a
 * list of strings was `JSON.stringify`'d a batch (~40–50 µs of 256 request ids), copied into the
 * message and parsed back into 256 strings on the export thread; the memory is posted once and
 * named after (posted-memory.ts), as the batch's numbers are.
 */
export class OwnStringsWriter {
  private bytes: SharedBytes;
  private at = 0;
  /** Memories whose batches the export thread is done with, for the next batches (`recycle`). */
  private readonly memories: SpareMemories<SharedBytes>;

  /** `size`: the bytes of a new memory (a batch's request ids fit, as a rule). */
  constructor(size: number) {
    this.memories = new SpareMemories(sharedBytes, size);
    this.bytes = this.memories.next();
  }

  /** Adds `value`: where it starts. */
  add(value: string): number {
    const start = this.at;
    const length = value.length;
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    this.room(5 + 3 * length);
    const b = this.bytes;
    const pos = putVarint(b, start, length);
    // Buffer's native writer (~25 ns a request id, against ~100 for a loop over its characters).
    const size = b.utf8Write(value, pos, 3 * length);
    // More bytes than characters: not ASCII (rare), and the length written first was its count
    // of characters: written again as its bytes', the bytes moved when that takes more room.
    if (size !== length) {
      const from = start + varintSize(size);
      if (from !== pos) b.copyWithin(from, pos, pos + size);
      putVarint(b, start, size);
      this.at = from + size;
      return start;
    }
    this.at = pos + size;
    return start;
  }

  /** Room for `count` bytes from where the next string starts. */
  private room(count: number): void {
    if (this.at + count <= this.bytes.length) return;
    const grown = this.memories.grown(Math.max(this.bytes.length * 2, this.at + count));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
  }

  /** The strings so far (a view of the shared memory from its start), and a new memory for the next. */
  take(): Uint8Array {
    const taken = this.bytes.subarray(0, this.at);
    this.bytes = this.memories.next();
    this.at = 0;
    return taken;
  }

  /** A batch's strings once the export thread is done with them: the memory is written again. */
  recycle(strings: Uint8Array): void {
    this.memories.recycle(strings);
  }
}

/** The string at `at` as protobuf writes a string's value: its bytes, length prefix included. */
export function ownLength(strings: Uint8Array, at: number): number {
  let length = 0;
  let shift = 1;
  let pos = at;
  for (;;) {
    const byte = strings[pos++] as number;
    length += (byte & 127) * shift;
    if (byte < 128) return pos - at + length;
    shift *= 128;
  }
}

/** The string at `at` (the library's serialiser and the JSON exporter read strings). */
export function ownText(strings: Uint8Array, at: number): string {
  const end = at + ownLength(strings, at);
  let start = at;
  while ((strings[start] as number) >= 128) start++;
  return decoder.decode(strings.subarray(start + 1, end));
}

const decoder = new TextDecoder();

/**
 * Shared memory as a Buffer, for its UTF-8 writer (which Node and Bun have beside `write(text,
 * offset, encoding)`, which parses its arguments first).
 */
type SharedBytes = Buffer & { utf8Write(text: string, offset: number, length: number): number };

const sharedBytes = (size: number) => Buffer.from(new SharedArrayBuffer(size)) as SharedBytes;
