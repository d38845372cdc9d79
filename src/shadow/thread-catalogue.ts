import { pricesAny } from "../pricing/catalogue-on-demand.ts";
import type { ProviderKind } from "../pricing/catalogue-provider-id.ts";
import type { ShadowThreadRequest, ThreadRules } from "./shadow-thread-protocol.ts";

/** How the thread has the price catalogue its rules read (pricing/catalogue-on-demand.ts). */
export interface ThreadCatalogue {
  /** Is it loaded, if these providers need it? */
  ready(providers: readonly ProviderKind[]): boolean;
  load(): Promise<void>;
  /**
   * How long a load may take before the rules are adopted without it: every message after them
   * (copies, cut-offs, the stop, a flush) waits its turn behind the load, so one that never
   * settles (an `import()` that hangs) must not hold them for good.
   */
  readonly withinMs: number;
}

/** Rules that price nothing by the catalogue: its providers' copies are priced 0, as unknown prices are. */
export function withoutCatalogue(request: ShadowThreadRequest, next: ThreadRules): ShadowThreadRequest {
  const providers = next.prices.providers.filter((provider) => !pricesAny([provider]));
  return { ...request, rules: { ...next, prices: { ...next.prices, providers } } };
}
