/**
 * A cluster node names the worker that served a call it relays as `worker:<name>@<node>`, in the
 * link's head frame (`servedBy`) and the HTTP forward's `x-mindgw-served-by` header: header values,
 * which hold printable ASCII only (protocol.ts HEADER_VALUE). A worker's `--name` may hold any
 * letter (`gpu-café`), so on the wire every byte of its UTF-8 that is not printable ASCII, and `%`
 * itself, is written as `%XX`; the calling node reads the name back whole, for its audit row,
 * metrics and traces to name the worker as the worker's own node does.
 */

/** Runs of what a header value cannot carry as it is, and `%`, the escape's own sign. */
const NOT_AS_IS = /[^\x20-\x24\x26-\x7e]+/g;
/** Runs of `%XX` escapes. */
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;
const HEX = Array.from({ length: 256 }, (_, byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`);
const encoder = new TextEncoder();

/** `servedBy` as a header value: printable ASCII, any other byte (and `%`) escaped. */
export function servedByOnWire(label: string): string {
  NOT_AS_IS.lastIndex = 0;
  if (!NOT_AS_IS.test(label)) return label;
  return label.replace(NOT_AS_IS, (run) => Array.from(encoder.encode(run), (byte) => HEX[byte]).join(""));
}

/**
 * A `servedBy` as the wire carried it, its escapes read back; a run of them that is no UTF-8 (a
 * node from before, whose worker's name held a `%`) is kept as it came.
 */
export function servedByRead(wire: string): string {
  if (!wire.includes("%")) return wire;
  return wire.replace(ESCAPES, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
