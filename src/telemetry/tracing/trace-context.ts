import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  TraceFlags,
  trace,
} from "@opentelemetry/api";

/** W3C Trace Context, version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** A client's `traceparent`, when it is well-formed (anything else is ignored, as the spec says). */
export function parseTraceparent(header: string | null | undefined): SpanContext | undefined {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, traceId = "", spanId = "", flags = "00"] = match;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** Where `traceparentText` writes: `00-`, 32 + 16 hex digits with a dash between, `-`, the flags. */
const TEXT = Buffer.from(`00-${ZERO_TRACE}-${ZERO_SPAN}-00`, "latin1");
const TEXT_VIEW = new DataView(TEXT.buffer, TEXT.byteOffset, TEXT.length);
/** Each byte's two hex digits as one big-endian 16-bit store: four stores a word, not eight. */
const DIGIT_PAIRS = Uint16Array.from({ length: 256 }, (_, byte) => {
  const digits = byte.toString(16).padStart(2, "0");
  return (digits.charCodeAt(0) << 8) | digits.charCodeAt(1);
});

/** Writes a 32-bit word's 8 hex digits into TEXT from `at`. */
function writeWord(word: number, at: number): void {
  TEXT_VIEW.setUint16(at, DIGIT_PAIRS[word >>> 24] as number);
  TEXT_VIEW.setUint16(at + 2, DIGIT_PAIRS[(word >>> 16) & 255] as number);
  TEXT_VIEW.setUint16(at + 4, DIGIT_PAIRS[(word >>> 8) & 255] as number);
  TEXT_VIEW.setUint16(at + 6, DIGIT_PAIRS[word & 255] as number);
}

/**
 * The `traceparent` of a span known by its ids' words (trace id `t0`–`t3`, span id `s0`, `s1`,
 * most significant first), as one flat string: written into one buffer and read out once, where a
 * template of the ids' hex strings made a rope of two cells that every reader (the upstream
 * client's header check and copy) first had to join, beside the two id strings themselves.
 */
export function traceparentText(
  t0: number,
  t1: number,
  t2: number,
  t3: number,
  s0: number,
  s1: number,
  flags: number,
): string {
  writeWord(t0, 3);
  writeWord(t1, 11);
  writeWord(t2, 19);
  writeWord(t3, 27);
  writeWord(s0, 36);
  writeWord(s1, 44);
  TEXT[54] = (flags & TraceFlags.SAMPLED) === 0 ? 0x30 : 0x31;
  return TEXT.toString("latin1", 0, TEXT.length);
}

/** The context a span continues: the caller's trace when it sent one, else a new trace. */
export function parentContext(traceparent: string | null | undefined): Context {
  const remote = parseTraceparent(traceparent);
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
}

/** The `traceparent` naming `span` as the parent of the next hop. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & TraceFlags.SAMPLED) === 0 ? "00" : "01"}`;
}

/** Headers for the next hop: this span's context, or the caller's own `traceparent` passed on. */
export function traceHeaders(span: Span | undefined, inbound: string | null | undefined) {
  if (span?.isRecording()) return { traceparent: traceparentOf(span) };
  return passedOn(inbound);
}

/** The caller's own `traceparent` for the next hop, when it sent a well-formed one. */
export const passedOn = (inbound: string | null | undefined) =>
  inbound && parseTraceparent(inbound) ? { traceparent: inbound } : undefined;
