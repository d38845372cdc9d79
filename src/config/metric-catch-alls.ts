import type { z } from "zod";

/** What each label value /metrics gives to what no config names stands for, by label. */
const CATCH_ALLS = {
  provider: new Map([
    ["other", "a provider the config no longer names"],
    ["none", "no upstream called"],
  ]),
  model: new Map([
    ["other", "a model no entry names"],
    ["workers", "a model only workers serve"],
  ]),
  tenant: new Map([
    ["other", "a tenant the config does not list"],
    ["none", "a caller with no key"],
  ]),
} as const;

/**
 * Refuses a provider, model (or alias) or tenant named as a label value /metrics gives what no
 * config names: its series would count that entry with the rest, and no reload would drop them
 * (telemetry/metrics/kept-labels.ts keeps those values). `workers` (providers) and `default`
 * (tenants) are refused where they are reserved for more than a label.
 */
export const notCatchAll =
  (label: keyof typeof CATCH_ALLS) =>
  (name: string, ctx: z.RefinementCtx): void => {
    const meaning = CATCH_ALLS[label].get(name);
    if (meaning === undefined) return;
    ctx.addIssue({
      code: "custom",
      message: `"${name}" is a label value of /metrics (${meaning}); choose another name`,
    });
  };
