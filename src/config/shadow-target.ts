import { z } from "zod";
import { num } from "./config-values.ts";

/** A shadow route for a model, a tenant or an app: where the sampled copy goes. */
export const shadowTargetSchema = z.strictObject({
  provider: z.string(),
  model: z.string(),
  sample: num(z.number().min(0).max(1)).default(0.1),
});

export type ShadowTarget = z.infer<typeof shadowTargetSchema>;
