/** Up to this many bytes are copied out of a read rather than viewed in it. */
const COPY_UP_TO = 2048;
const copy = Buffer.prototype.copy;

/**
 * `bytes[from, to)` as a `Uint8Array` of its own: copied when small, a view when larger. A view of
 * a socket's read (a Buffer) makes JSC move a read under ~1,000 bytes out of the heap cell it was
 * made in first: ~300 ns a view, against ~30 ns to copy a few hundred bytes (measured in a
 * socket's `data` handler; the copy outgrows it past ~2 KB), and the read is not kept alive.
 */
export function bytesOf(bytes: Uint8Array, from: number, to: number): Uint8Array<ArrayBuffer> {
  const size = to - from;
  // `subarray`, not a view made on `bytes.buffer`, which would make an ArrayBuffer cell as well.
  if (size > COPY_UP_TO) return bytes.subarray(from, to) as Uint8Array<ArrayBuffer>;
  const piece = new Uint8Array(size);
  copy.call(bytes, piece, 0, from, to);
  return piece;
}

/**
 * The ranges `[ranges[0], ranges[1])`, `[ranges[2], ranges[3])`… of `bytes`, in order, copied into
 * one new buffer by native copies (no view made of `bytes`).
 */
export function joinedRanges(bytes: Uint8Array, ranges: readonly number[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (let k = 0; k < ranges.length; k += 2) size += (ranges[k + 1] as number) - (ranges[k] as number);
  const out = new Uint8Array(size);
  let at = 0;
  for (let k = 0; k < ranges.length; k += 2) {
    const start = ranges[k] as number;
    const end = ranges[k + 1] as number;
    copy.call(bytes, out, at, start, end);
    at += end - start;
  }
  return out;
}
