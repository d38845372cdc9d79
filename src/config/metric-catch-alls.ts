import type { z } from "zod";
import { CATCH_ALLS } from "../core/metric-catch-alls.ts";

/**
 * Refuses a provider, model (or alias) or tenant named as a label value /metrics gives what no
 * config names (core/metric-catch-alls.ts): its series would count that entry with the rest, and
 * no reload would drop them (telemetry/metrics/kept-labels.ts keeps those values). `workers`
 * (providers) and `default` (tenants) are refused where they are reserved for more than a label.
 */
export const notCatchAll =
  (label: keyof typeof CATCH_ALLS) =>
  (name: string, ctx: z.RefinementCtx): void => {
    const catchAll = CATCH_ALLS[label].get(name);
    if (catchAll === undefined || catchAll.reserved) return;
    ctx.addIssue({
      code: "custom",
      message: `"${name}" is a label value of /metrics (${catchAll.meaning}); choose another name`,
    });
  };
