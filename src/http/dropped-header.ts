/** Names what translation left out for the route that answered (docs/CLIENTS.md). */
export const DROPPED_HEADER = "x-mindgw-dropped";

/** Past this, the header names the first ones and how many more (the audit row has them all). */
const MOST_CHARACTERS = 2048;

/**
 * A name as a header value can carry it: visible ASCII without a comma or a percent sign as it
 * is, else percent-encoded. A lone surrogate (the client's JSON may hold one) is made a U+FFFD
 * first, since encodeURIComponent throws on it.
 */
const shown = (name: string) =>
  /^[\x20-\x24\x26-\x2b\x2d-\x7e]*$/.test(name) ? name : encodeURIComponent(name.toWellFormed());

/**
 * The `x-mindgw-dropped` value for `names`, which may come from the client's body (its unknown
 * fields): a header value takes visible ASCII only, and a `Response` with any other character in
 * one throws, so a name with another character (`名前`, a control) is percent-encoded, and a list
 * longer than 2 KB is cut at a name with `...(N more)` (ASCII too; no name at all when the first
 * is already past 2 KB).
 */
export function droppedHeaderValue(names: readonly string[]): string {
  let value = "";
  for (let i = 0; i < names.length; i++) {
    const separator = i === 0 ? "" : ", ";
    const next = separator + shown(names[i] as string);
    if (value.length + next.length > MOST_CHARACTERS)
      return `${value}${separator}...(${names.length - i} more)`;
    value += next;
  }
  return value;
}
