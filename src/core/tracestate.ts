import { passedOnTraceparent, readTraceparent } from "./traceparent.ts";

/** The header's name. */
export const TRACESTATE = "tracestate";

/** The most list members W3C Trace Context allows in one `tracestate`. */
const MAX_MEMBERS = 32;

/**
 * The longest `tracestate` read: 32 of the longest members (256-character key and value) with
 * the commas between them. Longer is padding no sender needs, and is ignored.
 */
export const MAX_TRACESTATE_LENGTH = MAX_MEMBERS * (256 + 1 + 256) + MAX_MEMBERS - 1;

/**
 * One list member between its optional whitespace (spaces and tabs): a key, simple or
 * `tenant@system`, `=`, a value of printable ASCII but `,` and `=`, not ending in a space. The
 * grammar of W3C Trace Context (level 1), as `@opentelemetry/core`'s TraceState reads it.
 */
const MEMBER =
  /^[ \t]*([a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})=[ -+\--<>-~]{0,255}[!-+\--<>-~][ \t]*$/;
/** An empty list member, which the spec allows (headers combined with commas make them). */
const BLANK = /^[ \t]*$/;

/**
 * A received `tracestate` as it is sent on, when it is a well-formed list of 1–32 members with
 * no key twice; anything else is ignored whole (W3C Trace Context's test suite discards a list
 * with one bad member, where `@opentelemetry/core`'s TraceState keeps the rest). Several header
 * lines arrive joined with commas (`Headers.get`). Empty or blank: none.
 */
export function readTracestate(header: string | null | undefined): string | undefined {
  if (!header || header.length > MAX_TRACESTATE_LENGTH) return undefined;
  const keys: string[] = [];
  for (const member of header.split(",")) {
    const match = MEMBER.exec(member);
    if (match === null) {
      if (BLANK.test(member)) continue;
      return undefined;
    }
    const key = match[1] as string;
    if (keys.length === MAX_MEMBERS || keys.includes(key)) return undefined;
    keys.push(key);
  }
  return keys.length > 0 ? header : undefined;
}

/**
 * The caller's own `tracestate` as it is sent on (tracing off, or no span): unchanged, when it
 * is well-formed and came with a well-formed `traceparent` (without one it is not even read).
 */
export const passedOnTracestate = (
  traceparent: string | null | undefined,
  tracestate: string | null | undefined,
): string | undefined =>
  tracestate && readTraceparent(traceparent) ? readTracestate(tracestate) : undefined;

/** The caller's own `traceparent` and `tracestate` as they are passed on (tracing off, or no span). */
export const passedOnContext = (
  traceparent: string | null | undefined,
  tracestate: string | null | undefined,
): { traceparent: string | undefined; tracestate: string | undefined } => ({
  traceparent: passedOnTraceparent(traceparent),
  tracestate: passedOnTracestate(traceparent, tracestate),
});

/** `traceparent` and, only beside it, `tracestate`, as headers for the next hop; undefined with no `traceparent`. */
export function traceContextHeaders(
  traceparent: string | undefined,
  tracestate: string | undefined,
): Record<string, string> | undefined {
  if (traceparent === undefined) return undefined;
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}
