import { matchesAny } from "../auth/model-glob.ts";
import type { ShadowTarget } from "../config/shadow-target.ts";
import type { Route } from "../routing/route.ts";
import type { ModelPlan } from "../routing/route-table.ts";
import type { DispatchRequest } from "../routing/router.ts";

/**
 * Whether a copy of the request has an answer to compare: a model's output. A token count
 * (`count_tokens`) and a compaction (`/v1/responses/compact`, one opaque item) are none, and are
 * never copied: a count would only cost the shadow route a call (one it often cannot serve).
 */
export const comparable = (request: DispatchRequest): boolean =>
  request.operation !== "count_tokens" && request.responses?.compact !== true;

/**
 * Whether a tenant's or an app's shadow copies the request: a call to one of its `models`, or,
 * without them, any model's call but embeddings (one shadow model cannot answer both a chat and an
 * embeddings call). Where it does not, nothing is copied: it still takes the place of the model's
 * shadow, so its callers' calls go to no shadow route but their own.
 */
const copies = (target: ShadowTarget, request: DispatchRequest): boolean =>
  target.models ? matchesAny(target.models, request.model) : request.operation !== "embeddings";

/**
 * The route a request's copy goes to, if any: its caller's shadow's (`override`, the route
 * `routeFor` names) where it copies the call, else the model's.
 */
export const copyRoute = (
  modelShadow: ModelPlan["shadow"],
  override: ShadowTarget | undefined,
  request: DispatchRequest,
  routeFor: (target: ShadowTarget) => Route | undefined,
): Route | undefined =>
  override ? (copies(override, request) ? routeFor(override) : undefined) : modelShadow?.route;
