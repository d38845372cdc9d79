/**
 * The last instant a JavaScript date can name, +275760-09-13T00:00:00.000Z: past it `new Date(ms)`
 * is an invalid date, whose `toISOString()` throws.
 */
export const LAST_DATE_MS = 8.64e15;

/**
 * A time no later than the last date: an end past every date (a key an older release stored with
 * `expires_in: 99999999d`, a JWT's far `exp`) reads as the last date there is, which it outlives,
 * and can be shown and compared as any other.
 */
export const withinDates = (ms: number): number => Math.min(ms, LAST_DATE_MS);
