import { z } from "zod";
import { duration, durationValue } from "./config-values.ts";

/** Per-attempt bounds; every one ends the attempt with a 504 (and a retry where allowed). */
export const timeoutsSchema = z.strictObject({
  connect: duration("10s"),
  first_byte: duration("120s"),
  idle: duration("60s"),
});
/** A provider's or a route's own bounds, phase by phase: a route's first, then its provider's, then `routing.timeouts` (routing/route-table.ts). */
export const partialTimeouts = z.strictObject({
  connect: durationValue.optional(),
  first_byte: durationValue.optional(),
  idle: durationValue.optional(),
});

export type Timeouts = z.infer<typeof timeoutsSchema>;
