import { clock, time } from "./format.ts";
import { gatewayNow } from "./gateway-clock.ts";

const DAY_MS = 86_400_000;

/**
 * What the Keys page says of a rotation's old key: when it stops working, as the gateway wrote it
 * (`previous.expires_at` of the rotate answer). A grace asked for past the key's own expiry does
 * not lengthen its life, so the grace typed is quoted only when the answer names no end. The end
 * is the gateway's stamp, so it is told against the gateway's clock: a browser ahead by more than
 * the grace would read "no longer works" of a key that still does.
 */
export function rotationNote(grace: string, previousExpiresAt: string | null, now = gatewayNow()): string {
  if (previousExpiresAt === null) return `rotated; the old key works for ${grace} more`;
  const end = Date.parse(previousExpiresAt);
  if (!(end > now)) return "rotated; the old key no longer works";
  // Within a day the time of day says it; past one, the date too (seconds, no milliseconds).
  return `rotated; the old key works until ${end - now < DAY_MS ? clock(end) : time(end).slice(0, 19)}`;
}
