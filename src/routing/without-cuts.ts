/**
 * `buf[0, consumed)` without the events cut (`cuts`: their starts and ends, in pairs, in order), a
 * replaced event's bytes (`swaps`, by where it starts) in its place: what of a read the relay scan
 * (relay-scan.ts) lets go to the client. Undefined when nothing is left.
 */
export function withoutCuts(
  buf: Uint8Array,
  consumed: number,
  cuts: readonly number[],
  swaps: ReadonlyMap<number, Uint8Array> | undefined,
): Uint8Array | undefined {
  let size = consumed;
  for (let k = 0; k < cuts.length; k += 2) {
    const start = cuts[k] ?? 0;
    size -= (cuts[k + 1] ?? 0) - start - (swaps?.get(start)?.length ?? 0);
  }
  if (size === 0) return undefined;
  const out = new Uint8Array(size);
  let from = 0;
  let at = 0;
  for (let k = 0; k < cuts.length; k += 2) {
    const start = cuts[k] ?? 0;
    out.set(buf.subarray(from, start), at);
    at += start - from;
    const swap = swaps?.get(start);
    if (swap) {
      out.set(swap, at);
      at += swap.length;
    }
    from = cuts[k + 1] ?? start;
  }
  out.set(buf.subarray(from, consumed), at);
  return out;
}
