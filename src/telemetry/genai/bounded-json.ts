import type { RedactBody } from "../../audit/redact-body.ts";

/** What ends a text cut short. */
const CUT = "…[cut]";
/** Texts are cut no shorter than this before whole messages are left out. */
const LEAST_CUT = 256;

/** What content goes through before it is put on a span, and which side it came from. */
export interface ContentRedaction {
  readonly redact: RedactBody;
  readonly kind: "request" | "response";
}

/** `value` with every string (and key) redacted: before any cut, so no cut hides part of a key. */
function redacted(value: unknown, by: ContentRedaction): unknown {
  if (typeof value === "string") return by.redact(value, by.kind);
  if (Array.isArray(value)) return value.map((item) => redacted(item, by));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [by.redact(key, by.kind), redacted(item, by)]),
  );
}

/** `value` with every string longer than `most` characters cut to them. */
function cut(value: unknown, most: number): unknown {
  if (typeof value === "string") return value.length > most ? value.slice(0, most) + CUT : value;
  if (Array.isArray(value)) return value.map((item) => cut(item, most));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cut(item, most)]));
}

function longestString(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (typeof value !== "object" || value === null) return 0;
  let longest = 0;
  for (const item of Object.values(value)) longest = Math.max(longest, longestString(item));
  return longest;
}

/**
 * Whether `value`'s texts alone pass `budget` characters (then its JSON does too), read only as
 * far as it takes to know: a long conversation is not serialised whole just to learn it is long.
 */
function textsPass(value: unknown, budget: { left: number }): boolean {
  if (typeof value === "string") {
    budget.left -= value.length;
    return budget.left < 0;
  }
  if (typeof value !== "object" || value === null) return false;
  for (const item of Object.values(value)) if (textsPass(item, budget)) return true;
  return false;
}

/** The last `count` items of `items`, or the first. */
const kept = (items: readonly unknown[], count: number, keep: "first" | "last") =>
  keep === "first" ? items.slice(0, count) : items.slice(items.length - count);

/** How many items fit in `max` with their texts cut to the least, counted from the end kept. */
function fitting(items: readonly unknown[], max: number, keep: "first" | "last"): number {
  let size = 2;
  let count = 0;
  for (let i = 0; i < items.length; i++) {
    size += JSON.stringify(cut(items[keep === "first" ? i : items.length - 1 - i], LEAST_CUT)).length + 1;
    if (size > max) break;
    count++;
  }
  return count;
}

/**
 * `items` (messages, or instruction parts) as a JSON array of at most `max` characters, credentials
 * redacted, that stays valid JSON of the same shape: past `max`, the longest texts are cut (each
 * ends in `…[cut]`) as little as fits, and when even texts of 256 characters do not fit, whole
 * items are left out — the oldest of an input (`keep: "last"`), the last of an output. Only the
 * items kept are redacted (a long conversation's older turns cost no redaction), each whole.
 */
export function boundedJson(
  items: readonly unknown[],
  max: number,
  keep: "first" | "last",
  by: ContentRedaction,
): string {
  // A redaction shortens a text or lengthens it by two characters at most (`bearer x…`): the
  // count may be one too many, which the loop below takes back.
  let count =
    !textsPass(items, { left: max }) && JSON.stringify(items).length <= max
      ? items.length
      : fitting(items, max, keep);
  for (; count > 0; count--) {
    const clean = kept(items, count, keep).map((item) => redacted(item, by));
    const whole = JSON.stringify(clean);
    if (whole.length <= max) return whole;
    let fits = JSON.stringify(cut(clean, LEAST_CUT));
    if (fits.length > max) continue;
    // The longest texts the items can keep: a search over the cut length.
    let low = LEAST_CUT;
    let high = longestString(clean);
    while (low < high) {
      const most = Math.ceil((low + high) / 2);
      const text = JSON.stringify(cut(clean, most));
      if (text.length <= max) {
        fits = text;
        low = most;
      } else high = most - 1;
    }
    return fits;
  }
  return "[]";
}
