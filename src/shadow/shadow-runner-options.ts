import type { RedactBody } from "../audit/redact-body.ts";
import type { Pricing } from "../auth/rate-limiter.ts";
import type { Config } from "../config/config-schema.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import type { Logger } from "../log/logger.ts";
import type { Route } from "../routing/route.ts";
import type { ShadowStore } from "../storage/storage.ts";
import type { UnsupportedPolicy } from "../translate/dropped.ts";
import type { ShadowThreadMode } from "./shadow-thread-client.ts";
import type { ThreadRules } from "./shadow-thread-protocol.ts";

export interface ShadowRunnerOptions {
  /** `shadow:` of the current config (cap, timeout, answer bound). */
  readonly settings: () => Config["shadow"];
  /**
   * `translation.unsupported` of the current config: under `reject`, a copy its route cannot carry
   * whole is skipped (counted), not sent without what it lacks. Default: `drop`.
   */
  readonly unsupported?: () => UnsupportedPolicy;
  /** `audit.bodies`: answers are kept with a pair only while bodies may be kept. */
  readonly keepAnswers: () => boolean;
  readonly redact: RedactBody;
  readonly pricing: () => Pricing;
  /** Where pairs are kept (`Storage.shadow`); absent: pairs are compared and logged, not kept. */
  readonly store: Pick<ShadowStore, "insert" | "insertJson"> | undefined;
  /** `audit.flush_ms`: how long a finished pair may wait to be compared and written with others. */
  readonly flushMs?: () => number;
  readonly logger: Logger;
  /** The route a tenant's or an app's shadow target names, under the current config. */
  readonly routeFor: (target: ShadowTarget) => Route | undefined;
  /**
   * The config's name for a client's model name (`other` when nothing routes it): the copies'
   * spend is counted under it, bounded by the config as a metric label must be. Default: as asked.
   */
  readonly modelLabel?: (model: string) => string;
  readonly now?: () => number;
  readonly random?: () => number;
  /**
   * Which same-dialect copies are sent from the shadow thread (shadow-thread.ts), off the event
   * loop; default from `MINDGW_SHADOW_THREAD` (`shadowThreadMode`: every copy). Copies to a
   * provider that sends through a `fetch` of its own, or that are translated, run on the event
   * loop either way.
   */
  readonly thread?: ShadowThreadMode;
  /**
   * The current config's rules for recording a pair on the shadow thread (one object per config
   * version). Given, with a store and the default redaction hook, a copy sent from the thread
   * stays there whole: it is timed out, compared, priced and recorded there, and its records come
   * back in batches as JSON text for the store (`ShadowStore.insertJson` where the store has it).
   * Absent, or with an embedder's redaction hook, pairs are recorded on the event loop.
   */
  readonly threadRules?: () => ThreadRules;
}
