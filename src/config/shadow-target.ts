import { z } from "zod";
import { num } from "./config-values.ts";

/** A shadow route for a model, a tenant or an app: where the sampled copy goes. */
export const shadowTargetSchema = z.strictObject({
  provider: z.string(),
  model: z.string(),
  sample: num(z.number().min(0).max(1)).default(0.1),
  /**
   * A tenant's or an app's shadow only: the models (globs, as the client names them) whose calls
   * it copies, every operation of theirs. Absent: every model's calls but embeddings, which a
   * shadow of one model (a chat model, as a rule) cannot answer.
   */
  models: z.array(z.string().min(1)).min(1).optional(),
});

export type ShadowTarget = z.infer<typeof shadowTargetSchema>;

/** A model's own shadow: the model is the one it copies, so it names no `models`. */
export const modelShadowSchema = shadowTargetSchema.omit({ models: true });
