import { z } from "zod";
import { roleSchema } from "../storage/key-record.ts";

/**
 * The fields of a principal that every boundary reading one checks alike (an embedder
 * authenticator's answer, a console session read back from storage); each adds its own rules for
 * the tenant, `via` and what else it keeps.
 */
export const principalFields = {
  keyId: z.string().nullable(),
  name: z.string(),
  role: roleSchema,
  models: z.array(z.string()),
  limits: z.object({
    rpm: z.number().optional(),
    tpm: z.number().optional(),
    budgetUsd: z.number().optional(),
  }),
};
