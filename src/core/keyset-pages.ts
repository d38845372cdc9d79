/**
 * Every item of a keyset listing, a page at a time: `read` gives at most `size` items after a
 * position (from `from` on), and a page shorter than `size` is the last. A listing of any length
 * is walked holding one page.
 */
export async function* keysetPages<T, P>(
  read: (after: P | null) => Promise<T[]>,
  positionOf: (item: T) => P,
  size: number,
  from: P | null = null,
): AsyncGenerator<T[]> {
  let after = from;
  for (;;) {
    const page = await read(after);
    if (page.length > 0) yield page;
    const last = page.at(-1);
    if (last === undefined || page.length < size) return;
    after = positionOf(last);
  }
}
