import { z } from "zod";

/** An ISO 8601 date-time that says where it stands: `Z` or an offset (`+09:00`). */
const zonedTime = z.iso.datetime({ offset: true });

/**
 * A date-time to the minute or finer, with `Z` or an offset of `±HH:MM` or `±HHMM`: the parts
 * `zonedTime` needs spelt out (seconds, the offset's colon).
 */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The instant of a date-time that names its zone (`2031-01-31T09:00+09:00`, `…T09:00:00+0900` as
 * `date +%FT%T%z` prints it, `…T00:00Z`), in epoch milliseconds, or NaN: a date-time without `Z`
 * or an offset is none, read in the reading machine's own zone it would be another instant on
 * another. What the audit and shadow queries' bounds and `keys update --expires-at` read.
 */
export function zonedDateTimeMs(text: string): number {
  const parts = DATE_TIME.exec(text);
  if (parts === null) return Number.NaN;
  const [, date, minutes, seconds = ":00", zone = "Z"] = parts;
  const offset = zone.toUpperCase() === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const spelt = `${date}T${minutes}${seconds}${offset}`;
  return zonedTime.safeParse(spelt).success ? Date.parse(spelt) : Number.NaN;
}

/** A bare date (`2031-01-31`) is its UTC midnight, as ECMAScript reads one whatever the zone; NaN for any other text. */
export const utcDateMs = (text: string): number =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) ? zonedDateTimeMs(`${text}T00:00:00Z`) : Number.NaN;
