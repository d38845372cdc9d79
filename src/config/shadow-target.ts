import { z } from "zod";

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

/** A shadow route for a model, a tenant or an app: where the sampled copy goes. */
export const shadowTargetSchema = z.strictObject({
  provider: z.string(),
  model: z.string(),
  sample: z
    .preprocess(
      (value) => (typeof value === "string" && NUMERIC.test(value) ? Number(value) : value),
      z.number().min(0).max(1),
    )
    .default(0.1),
});

export type ShadowTarget = z.infer<typeof shadowTargetSchema>;
