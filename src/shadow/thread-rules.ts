import type { Config } from "../config/config-schema.ts";
import { shadowTargetsOf } from "../config/shadow-targets.ts";
import type { ThreadRules } from "./shadow-thread-protocol.ts";

/**
 * How the shadow thread records owned pairs under `config`. Its prices name only the providers
 * shadow copies go to (every model's, tenant's and app's `shadow.provider`, for a tenant's or an
 * app's shadow applies in place of the model's): a copy is priced by its own route, never
 * a primary's, so the thread loads the price catalogue (megabytes of a heap of its own) only when
 * a shadow target is a provider the catalogue prices, not whenever a primary is, as with the
 * usual candidate on a self-hosted server beside a primary on OpenAI.
 */
export function threadRulesOf(config: Config): ThreadRules {
  const targets = new Set(shadowTargetsOf(config).map(({ target }) => target.provider));
  return {
    maxAnswer: config.shadow.max_answer,
    keepAnswers: config.audit.bodies,
    flushMs: config.audit.flush_ms,
    prices: {
      prices: config.prices,
      providers: config.providers.filter((provider) => targets.has(provider.name)),
      models: config.models,
    },
  };
}
