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
  /**
   * Shadow copies, off the client's path (shadow/): called once the primary has committed, with
   * the model's shadow (if any; a tenant's or an app's may apply instead). It samples, and returns
   * the answer to hand the client (the same, or one that also reports the primary's answer for
   * comparison). Must not wait or throw.
   */
  readonly shadow?: (
    modelShadow: ModelPlan["shadow"],
    request: DispatchRequest,
    primary: Dispatched,
  ) => Dispatched;
  /**
   * Whether `shadow` may copy the request (its sample above 0, for the caller's or the model's
   * shadow): a request translated for its route keeps the bytes it came as only while a copy may
   * be sent as it came (received-bytes.ts). Absent with `shadow` there: it may.
   */
  readonly mayShadow?: (modelShadow: ModelPlan["shadow"], request: DispatchRequest) => boolean;
}
