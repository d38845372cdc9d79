import { forbidden } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";
import { firstLimiting, limitScopes, type Scope } from "./limit-scope.ts";
import type { ListedModels } from "./policy.ts";
import type { Principal } from "./principal.ts";

/** The route that served an answer (`provider:<name>` or `worker:<name>`) and its upstream model. */
export interface Served {
  readonly route: string | null;
  readonly upstreamModel: string | null;
}

/** What answers cost (pricing/price-book.ts is the built-in one). */
export interface Pricing {
  /**
   * An answer's cost, at `at` (epoch ms: the catalogue's prices of that day), the moment its
   * tokens are counted: the caller's one clock reading for both.
   */
  cost(model: string, usage: Usage, served: Served | undefined, at: number): number;
  /** False when some way of serving the model has no price: a budget could not bind on it. */
  isPriced(model: string): boolean;
}

export const FREE: Pricing = { cost: () => 0, isPriced: () => true };

/**
 * Whether a budget (the key's or its tenant's) binds these scopes and the model has no price: it
 * costs nothing, so the budget could never bind on it, and admission refuses it (`assertPriced`).
 * The model listing leaves such a model out (`pricedUnderBudget`).
 */
export const unpricedUnderBudget = (scopes: readonly Scope[], model: string, pricing: Pricing): boolean =>
  firstLimiting(scopes, "budgetUsd") !== undefined && !pricing.isPriced(model);

/** Refuses a model with no price to a caller a budget binds (`unpricedUnderBudget`). */
export function assertPriced(scopes: readonly Scope[], model: string | undefined, pricing: Pricing): void {
  if (model !== undefined && unpricedUnderBudget(scopes, model, pricing)) {
    throw forbidden(
      `model ${model} has no price, so a budget cannot apply to it; an admin can set one under prices: or allow_unpriced: true on the model`,
    );
  }
}

/**
 * `Policy.lists` of the built-in policy under these prices: a model is listed unless admission
 * would refuse it for want of a price under the caller's budget, whatever its counters say. Whether
 * a budget binds the caller is decided once a listing: none (most callers), and every model is
 * listed without a price looked up; one, and the models the prices leave unpriced are left out.
 */
export const pricedUnderBudget =
  (pricing: Pricing, now: () => number = Date.now) =>
  (principal: Principal): ListedModels | undefined =>
    firstLimiting(limitScopes(principal, now), "budgetUsd") === undefined
      ? undefined
      : (model) => pricing.isPriced(model);
