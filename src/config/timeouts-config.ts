import { z } from "zod";
import { duration, durationAboveZero } from "./config-values.ts";

// At 0 every call answered 504 "(0 ms)" at once.
const AT_ZERO = 'every attempt would time out at once (a 504); 0 is not "no bound" here';

/** Per-attempt bounds; every one ends the attempt with a 504 (and a retry where allowed). */
export const timeoutsSchema = z.strictObject({
  connect: duration("10s", AT_ZERO),
  first_byte: duration("120s", AT_ZERO),
  idle: duration("60s", AT_ZERO),
});
const ownBound = () =>
  durationAboveZero(AT_ZERO, "leave it out for the provider's or routing.timeouts' bound").optional();
/** A provider's or a route's own bounds, phase by phase: a route's first, then its provider's, then `routing.timeouts` (routing/route-table.ts). */
export const partialTimeouts = z.strictObject({
  connect: ownBound(),
  first_byte: ownBound(),
  idle: ownBound(),
});

export type Timeouts = z.infer<typeof timeoutsSchema>;
