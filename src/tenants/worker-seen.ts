import type { GatewayEvent, WorkerSummary } from "../audit/gateway-event.ts";
import type { Principal } from "../auth/principal.ts";

/** What a reader may not see: a model name only another tenant's config entries answer to (bind-tenant.ts `hides`). */
export type HiddenModel = (model: string) => boolean;

/** A reader held to one tenant, as workers are shown to it. */
export interface WorkerReader {
  /** Its tenant: a worker of another (the platform's, the only other it is shown) serves every tenant. */
  readonly tenant: string;
  /** The model names it may not see; none when no other tenant scopes a model. */
  readonly hidden?: HiddenModel | undefined;
}

/** A worker as its listing and its events carry it. */
interface ShownWorker {
  readonly tenant: string;
  readonly models: readonly string[];
  readonly shadowedByConfig?: readonly string[];
  readonly inFlight: number;
}

/** A worker as a reader is shown it: its `inFlight` left out when those requests are other tenants' too. */
export type Seen<W extends ShownWorker> = Omit<W, "inFlight"> & { inFlight?: number };

/** A gateway event as a reader is shown it: a worker's, its `worker` as `workerSeen` gives it. */
export type SeenEvent =
  | GatewayEvent
  | { readonly type: GatewayEvent["type"]; readonly worker: Seen<WorkerSummary> };

/**
 * A worker as a reader held to one tenant may read it: without the model names another tenant's
 * entries answer to (`secret-b`, or a name its glob alias matches), which do not exist for that
 * reader (404, left out of `/v1/models` and of `/admin/api/routing`'s `workerModels`). A platform
 * worker serving such a model is still one its callers may be routed to, so it is listed, without
 * the name. Nor with its requests in flight when it is another tenant's (the platform's): they are
 * every tenant's, which told how busy other tenants are, as a shared route's are left out
 * (http/admin/tenant-routing.ts); its capacity stays. The very worker when nothing is left out.
 */
export function workerSeen<W extends ShownWorker>(worker: W, reader: WorkerReader): Seen<W> {
  const { hidden } = reader;
  const shadowed = worker.shadowedByConfig;
  const hides = hidden !== undefined && (worker.models.some(hidden) || shadowed?.some(hidden) === true);
  const shared = worker.tenant !== reader.tenant;
  if (!hides && !shared) return worker;
  const { inFlight, ...rest } = worker;
  return {
    ...rest,
    ...(shared ? {} : { inFlight }),
    ...(hides
      ? {
          models: worker.models.filter((model) => !hidden(model)),
          ...(shadowed ? { shadowedByConfig: shadowed.filter((model) => !hidden(model)) } : {}),
        }
      : {}),
  };
}

/** An event as such a reader may read it: a worker's, its `worker` as `workerSeen` gives it. */
export function eventSeen(event: GatewayEvent, reader: WorkerReader): SeenEvent {
  if (!("worker" in event)) return event;
  const worker = workerSeen(event.worker, reader);
  return worker === event.worker ? event : { ...event, worker };
}

/** How a reader of `scope` is shown workers: as they are to a reader of every tenant (null, undefined here). */
export const workerReaderOf = (principal: Principal, scope: string | null): WorkerReader | undefined =>
  scope === null ? undefined : { tenant: scope, hidden: principal.tenantRules?.hides };
