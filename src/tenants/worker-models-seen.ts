import type { GatewayEvent } from "../audit/gateway-event.ts";
import type { Principal } from "../auth/principal.ts";

/** What a reader may not see: a model name only another tenant's config entries answer to (bind-tenant.ts `hides`). */
export type HiddenModel = (model: string) => boolean;

/** A worker's model lists, as its listing and its events carry them. */
interface WithModels {
  readonly models: readonly string[];
  readonly shadowedByConfig?: readonly string[];
}

/**
 * A worker as a reader held to one tenant may read it: without the model names another tenant's
 * entries answer to (`secret-b`, or a name its glob alias matches), which do not exist for that
 * reader (404, left out of `/v1/models` and of `/admin/api/routing`'s `workerModels`). A platform
 * worker serving such a model is still one its callers may be routed to, so it is listed, without
 * the name. The very worker when it offers none of them.
 */
export function workerSeen<W extends WithModels>(worker: W, hidden: HiddenModel): W {
  const shadowed = worker.shadowedByConfig;
  if (!worker.models.some(hidden) && !shadowed?.some(hidden)) return worker;
  return {
    ...worker,
    models: worker.models.filter((model) => !hidden(model)),
    ...(shadowed ? { shadowedByConfig: shadowed.filter((model) => !hidden(model)) } : {}),
  };
}

/** An event as such a reader may read it: a worker's, its `worker` as `workerSeen` gives it. */
export function eventSeen(event: GatewayEvent, hidden: HiddenModel): GatewayEvent {
  if (!("worker" in event)) return event;
  const worker = workerSeen(event.worker, hidden);
  return worker === event.worker ? event : { ...event, worker };
}

/** What a reader of `scope` may not see of workers' models: nothing hidden from a reader of every tenant (null). */
export const hiddenFrom = (principal: Principal, scope: string | null): HiddenModel | undefined =>
  scope === null ? undefined : principal.tenantRules?.hides;
