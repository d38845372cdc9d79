import { GatewayError } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";
import { firstLimiting, type Scope } from "./limit-scope.ts";

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
 * A model with no price costs nothing, so a budget (the key's or its tenant's) could never bind
 * on it: refused.
 */
export function assertPriced(scopes: readonly Scope[], model: string | undefined, pricing: Pricing): void {
  if (model !== undefined && firstLimiting(scopes, "budgetUsd") && !pricing.isPriced(model)) {
    throw new GatewayError({
      status: 403,
      code: "forbidden",
      message: `model ${model} has no price, so a budget cannot apply to it; an admin can set one under prices: or allow_unpriced: true on the model`,
    });
  }
}
