/**
 * A one-way ring of bytes in a SharedArrayBuffer between the event loop and the shadow thread.
 * Posting a JSON text with its bodies as typed arrays costs the event loop ~2.5–4 µs a message
 * (the structured clone of the arrays); a plain string message costs ~0.2–0.4 µs, and copying
 * the same bytes into shared memory ~0.2 µs (docs/BENCHMARKS-HISTORY.md, "Session 5" of the shadow
 * section). So the writer copies a message's bytes into the ring and posts only where they are, as
 * a short string; the reader copies them out and hands the space back. A message that does not
 * fit goes the plain way (the caller's fallback).
 *
 * Space is counted in a running total of bytes sent (modulo 2³²) against the reader's running
 * total consumed, which it stores in the first 4 bytes; positions wrap, and a message never
 * straddles the end (the rest of the ring is skipped, and counted as sent).
 */

const HEADER = 8;

export interface RingWriter {
  readonly buffer: SharedArrayBuffer;
  /**
   * Writes `parts` then `text` (UTF-8) into the ring; the string to post, or undefined when they
   * do not fit now.
   */
  write(parts: readonly Uint8Array[], text: string): string | undefined;
}

export function createRingWriter(size: number): RingWriter {
  const buffer = new SharedArrayBuffer(HEADER + size);
  const consumed = new Int32Array(buffer, 0, 1);
  const view = new Uint8Array(buffer, HEADER, size);
  const encoder = new TextEncoder();
  let head = 0;
  let sent = 0;
  return {
    buffer,
    write(parts, text) {
      let need = text.length * 3;
      for (const part of parts) need += part.byteLength;
      const inUse = (sent - Atomics.load(consumed, 0)) >>> 0;
      const skip = head + need > size ? size - head : 0;
      if (inUse + skip + need > size) return undefined;
      if (skip > 0) {
        sent = (sent + skip) >>> 0;
        head = 0;
      }
      const start = head;
      let at = start;
      const lengths: number[] = [];
      for (const part of parts) {
        view.set(part, at);
        at += part.byteLength;
        lengths.push(part.byteLength);
      }
      const textAt = at;
      at += encoder.encodeInto(text, view.subarray(at, at + text.length * 3)).written;
      sent = (sent + (at - start)) >>> 0;
      head = at;
      return `${start} ${textAt} ${at} ${sent}${lengths.length > 0 ? ` ${lengths.join(" ")}` : ""}`;
    },
  };
}

/** The reader's side: a posted string back to its bytes and text, the space handed back at once. */
export function createRingReader(buffer: SharedArrayBuffer): (posted: string) => {
  parts: Uint8Array<ArrayBuffer>[];
  text: string;
} {
  const consumed = new Int32Array(buffer, 0, 1);
  const view = new Uint8Array(buffer, HEADER);
  const decoder = new TextDecoder();
  return (posted) => {
    const [start = 0, textAt = 0, end = 0, sent = 0, ...lengths] = posted.split(" ").map(Number);
    // Copied out before the space is handed back: the writer may reuse it at once.
    const copy = view.slice(start, end);
    Atomics.store(consumed, 0, sent | 0);
    const parts: Uint8Array<ArrayBuffer>[] = [];
    let at = 0;
    for (const length of lengths) {
      parts.push(copy.subarray(at, at + length));
      at += length;
    }
    return { parts, text: decoder.decode(copy.subarray(textAt - start)) };
  };
}
