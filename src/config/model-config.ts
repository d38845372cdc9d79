import { z } from "zod";
import { bool, num } from "./config-values.ts";
import { FALLBACK_CLASSES } from "./fallback-classes.ts";
import { notCatchAll } from "./metric-catch-alls.ts";
import { modelShadowSchema } from "./shadow-target.ts";
import { partialTimeouts } from "./timeouts-config.ts";

/** One upstream a model is served by: a provider and its name for the model. */
export const routeSchema = z.strictObject({
  provider: z.string(),
  model: z.string().min(1),
  /**
   * The route's share of first tries under `strategy: weighted`, read under no other strategy
   * (warned of: ignored-weight-warnings.ts); unwritten, `DEFAULT_ROUTE_WEIGHT`. No default here, so
   * that a weight written can be told from none.
   */
  weight: num(z.number().positive()).optional(),
  timeouts: partialTimeouts.optional(),
  /** The upstream model's context window in tokens; default: the model catalogue's figure. */
  context_window: num(z.number().int().positive()).optional(),
});

/** A route's weight where the config writes none. */
export const DEFAULT_ROUTE_WEIGHT = 1;

/** A route's weight as the gateway reads it: the one written, else `DEFAULT_ROUTE_WEIGHT`. */
export const routeWeight = (route: { weight?: number | undefined }): number =>
  route.weight ?? DEFAULT_ROUTE_WEIGHT;

export const STRATEGIES = ["priority", "weighted", "least-busy", "latency"] as const;

/** One model clients may ask for, and the routes that serve it. */
export const modelSchema = z.strictObject({
  /** The name clients send; a glob (`claude-*`) matches many. Most specific match wins. */
  name: z.string().min(1).superRefine(notCatchAll("model")),
  /** More names (or globs) for this entry: dated or suffixed names clients send. */
  aliases: z.array(z.string().min(1).superRefine(notCatchAll("model"))).default([]),
  strategy: z.enum(STRATEGIES).default("priority"),
  /** Lets keys and tenants with a budget use this model although no price covers it. */
  allow_unpriced: bool().default(false),
  /** Fail over to the next route on these, which retrying the same route cannot cure. */
  fallback_on: z.array(z.enum(FALLBACK_CLASSES)).default([]),
  routes: z.array(routeSchema).min(1),
  /** Where a sample of this model's requests is copied to, unless a tenant's or an app's shadow takes its place. */
  shadow: modelShadowSchema.optional(),
  /** Visible and usable only by keys of this tenant; to everyone else it does not exist. */
  tenant: z.string().optional(),
});
