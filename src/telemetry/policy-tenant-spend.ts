import type { Policy } from "../auth/policy.ts";
import type { Logger } from "../log/logger.ts";
import { repeatedFailure } from "../log/repeated-failure.ts";
import type { MetricSources } from "./metrics/metric-sources.ts";

/**
 * The policy's `tenantSpent` as the `mindgw_tenant_spend_usd` gauge reads it at a scrape, or nothing
 * for a policy that keeps no spend. An embedder's policy may throw (its ledger down) or answer no
 * number (an async one's promise): that read is `undefined`, the gauge leaves its samples out of
 * that scrape, and the failure is a warning at most every 30 s (repeated-failure.ts). Thrown through,
 * it failed the whole scrape with a 500, every other family lost with it.
 */
export function policyTenantSpend(policy: Policy, logger: Logger): Pick<MetricSources, "tenantSpend"> {
  const { tenantSpent } = policy;
  if (!tenantSpent) return {};
  const failed = repeatedFailure(
    logger,
    "the policy's tenantSpent (read for /metrics: mindgw_tenant_spend_usd left out of the scrape)",
  );
  return {
    tenantSpend: (tenant, per) => {
      let spent: unknown;
      try {
        spent = tenantSpent.call(policy, tenant, per, Date.now());
      } catch (error) {
        failed(error, { tenant, per });
        return undefined;
      }
      if (typeof spent === "number") return spent;
      failed(new TypeError(`it answered ${describe(spent)}, not a number`), { tenant, per });
      return undefined;
    },
  };
}

/** What a non-number answer was, by its kind alone: never its value (an embedder's object). */
const describe = (value: unknown): string =>
  value === null
    ? "null"
    : typeof value === "object" && typeof (value as { then?: unknown }).then === "function"
      ? "a promise (tenantSpent is synchronous)"
      : typeof value;
