import type { LogFields } from "../log/logger.ts";
import type { Dispatched, DispatchRequest } from "./dispatch.ts";
import type { RouteHealth } from "./route-health.ts";
import type { ModelPlan } from "./route-table.ts";

/** What a dispatch needs of its router (router.ts). */
export interface DispatchDeps {
  readonly health: RouteHealth;
  /** A failed attempt's warning (`route failed`, with the request id, route and redacted reason). */
  readonly log: (message: string, fields: LogFields) => void;
  readonly random: () => number;
  readonly shadow?: (
    modelShadow: ModelPlan["shadow"],
    request: DispatchRequest,
    primary: Dispatched,
  ) => Dispatched;
  /** Whether `shadow` may copy the request (absent with `shadow` there: it may). */
  readonly mayShadow?: (modelShadow: ModelPlan["shadow"], request: DispatchRequest) => boolean;
}
