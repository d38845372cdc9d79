/**
 * The `traceparent` an attempt sends upstream (W3C Trace Context, version 00:
 * `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`): the caller's own header passed on as
 * text, or one of the gateway's spans known by its ids' words (`Traceparent`), made text where it
 * is sent (`String(value)`).
 */
export type TraceparentValue = string | Traceparent;

/**
 * W3C Trace Context: `<2 hex version>-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. Version
 * 00 is exactly that; a later version (one this gateway does not know) is read by those fields, its
 * own further fields after a `-` left alone, as the spec asks of a reader of an unknown version.
 * Version `ff` is invalid.
 */
const TRACEPARENT_FORM =
  /^(?:00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})|(?!ff|00)[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?)$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** A received `traceparent`'s fields, when it is well-formed (anything else is ignored, as the spec says). */
export function readTraceparent(
  header: string | null | undefined,
): { traceId: string; spanId: string; traceFlags: number } | undefined {
  if (header && isPlainVersion00(header)) {
    const traceId = header.substring(3, 35);
    const spanId = header.substring(36, 52);
    if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
    return { traceId, spanId, traceFlags: (hexValue(header, 53) << 4) | hexValue(header, 54) };
  }
  const match = header ? TRACEPARENT_FORM.exec(header.trim()) : null;
  if (!match) return undefined;
  const traceId = match[1] ?? match[4] ?? "";
  const spanId = match[2] ?? match[5] ?? "";
  const flags = match[3] ?? match[6] ?? "00";
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}

/** "-", between a `traceparent`'s fields (trace-context.ts reads by it too), and "0". */
export const DASH = 45;
const ZERO = 48;

/** A lowercase hex digit's character code ("0"–"9" 48–57, "a"–"f" 97–102). */
const isHexDigit = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
/** The value of the lowercase hex digit at `at` (checked before). */
const hexValue = (text: string, at: number): number => {
  const c = text.charCodeAt(at);
  return c <= 57 ? c - 48 : c - 87;
};

/**
 * `header` is version 00's form exactly, nothing around it: what TRACEPARENT_FORM's first branch
 * matches untrimmed, checked character by character. Nearly every caller's header is, and then
 * no trim, match or captures are made for it (any other text goes through the expression).
 */
function isPlainVersion00(header: string): boolean {
  if (header.length !== TRACEPARENT_LENGTH) return false;
  if (header.charCodeAt(0) !== ZERO || header.charCodeAt(1) !== ZERO || header.charCodeAt(2) !== DASH)
    return false;
  if (header.charCodeAt(35) !== DASH || header.charCodeAt(52) !== DASH) return false;
  for (let at = 3; at < 35; at++) if (!isHexDigit(header.charCodeAt(at))) return false;
  for (let at = 36; at < 52; at++) if (!isHexDigit(header.charCodeAt(at))) return false;
  return isHexDigit(header.charCodeAt(53)) && isHexDigit(header.charCodeAt(54));
}

/** The caller's own `traceparent` as it is sent on (tracing off, or no span): when well-formed, unchanged. */
export const passedOnTraceparent = (inbound: string | null | undefined): string | undefined =>
  inbound && readTraceparent(inbound) ? inbound : undefined;

/** The header's name. */
export const TRACEPARENT = "traceparent";

/** The header's value's length: `00-`, 32 + 16 hex digits with a dash between, `-`, the flags. */
const TRACEPARENT_LENGTH = 55;

/** Where a value is written before it is read out: one buffer, reused. */
const TEXT = Buffer.from(`00-${"0".repeat(32)}-${"0".repeat(16)}-00`, "latin1");
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
 * A span's `traceparent` known by its ids' words (trace id `t0`–`t3`, span id `s0`, `s1`, most
 * significant first) and its trace flags; its text is made when it is sent (`toString`, once).
 * (Writing the digits straight into the lean client's request bytes instead, with no string, read
 * no cheaper in the gateway: docs/BENCHMARKS-HISTORY.md, session 33.)
 * The span's id and flags may be set after it is made, by a subclass only (`spanIs`), before it
 * is first sent: a request's trace is its first attempt's handle too, whose span starts after the
 * request's. To everyone else they are read-only.
 */
export class Traceparent {
  private text: string | undefined;

  constructor(
    readonly t0: number,
    readonly t1: number,
    readonly t2: number,
    readonly t3: number,
    private span0: number,
    private span1: number,
    private spanFlags: number,
  ) {}

  get s0(): number {
    return this.span0;
  }
  get s1(): number {
    return this.span1;
  }
  /** Only the sampled bit is sent. */
  get flags(): number {
    return this.spanFlags;
  }

  /**
   * The span this `traceparent` names, when it was not known at its making (an attempt's, set as it
   * starts). A text made before is dropped, so the header never names the span it was: one store,
   * where "never after `toString`" was a comment's promise.
   */
  protected spanIs(s0: number, s1: number, flags: number): void {
    this.span0 = s0;
    this.span1 = s1;
    this.spanFlags = flags;
    this.text = undefined;
  }

  /** The header's value, as one flat string (read out of one buffer, not a rope of pieces). */
  toString(): string {
    if (this.text === undefined) {
      this.fill();
      this.text = TEXT.toString("latin1", 0, TRACEPARENT_LENGTH);
    }
    return this.text;
  }

  private fill(): void {
    writeWord(this.t0, 3);
    writeWord(this.t1, 11);
    writeWord(this.t2, 19);
    writeWord(this.t3, 27);
    writeWord(this.span0, 36);
    writeWord(this.span1, 44);
    TEXT[54] = (this.spanFlags & 1) === 0 ? 0x30 : 0x31;
  }
}
