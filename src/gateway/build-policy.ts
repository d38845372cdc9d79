import { pricedUnderBudget } from "../auth/limit-pricing.ts";
import type { Policy } from "../auth/policy.ts";
import { RateLimiter, tenantSpendSubject } from "../auth/rate-limiter.ts";
import type { SharedCounters } from "../auth/shared-counters.ts";
import { SpendLedger, type SpendTask } from "../auth/spend-ledger.ts";
import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import { repeatedFailure } from "../log/repeated-failure.ts";
import { PriceBook } from "../pricing/price-book.ts";
import type { SpendStore } from "../storage/storage.ts";

/**
 * The built-in limits policy: per-key rpm and tpm, and spend budgets totalled in storage. Each
 * config version gets a view with its own prices over the same counters (`forConfig`).
 */
export async function buildLimitsPolicy(
  config: Config,
  store: SpendStore,
  logger: Logger,
  /** A cluster node's counters (Redis): limits exact over every node. */
  shared?: SharedCounters,
): Promise<Policy> {
  // Every second while the spend store is down: once at first, then once in 30 s, with the cause,
  // each task in its own words: a failed read-back left no spend unwritten.
  const failed: Record<SpendTask, (error: unknown) => void> = {
    write: repeatedFailure(logger, "spend flush"),
    refresh: repeatedFailure(
      logger,
      "spend refresh (reading every node's totals back; this node's spend is written)",
    ),
    prune: repeatedFailure(logger, "deleting ended budget periods' spend totals"),
  };
  const spend = new SpendLedger({ store, onError: (error, task) => failed[task](error) });
  await spend.start();
  const pricing = new PriceBook(config);
  const limiter = new RateLimiter({
    spend,
    pricing,
    ...(shared
      ? {
          shared,
          // Redis lost and back are said by the cluster's own line (cluster-redis.ts); these are the
          // switches it cannot see: a call Redis answered with an error, and its next answer.
          onFallback: (local: boolean) =>
            local
              ? logger.warn(
                  `limits: a shared counter call failed; each node enforces 1/${shared.nodes()} of every rpm and tpm until one answers`,
                )
              : logger.info(
                  "limits: shared counters answer again; rpm, tpm and budgets are exact across nodes",
                ),
        }
      : {}),
  });
  return {
    admit: (principal, model, into) => limiter.admit(principal, model, undefined, into),
    record: (principal, model, usage, served, answer) =>
      limiter.record(principal, model, usage, served, undefined, answer),
    lists: pricedUnderBudget(pricing),
    forConfig: (next) => {
      const prices = new PriceBook(next);
      return { ...limiter.priced(prices), lists: pricedUnderBudget(prices) };
    },
    // Every node's spend as of the ledger's last flush (about a second), and this node's since.
    tenantSpent: (tenant, per, at) => spend.spent(tenantSpendSubject(tenant, per, at)),
    close: () => spend.close(),
  };
}
