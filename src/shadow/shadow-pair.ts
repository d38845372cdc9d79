import type { AuditRecord } from "../audit/audit-record.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import type { CopyTelemetry } from "../telemetry/dispatch-telemetry.ts";
import type { ShadowOutcome } from "./shadow-call.ts";
import type { PrimarySource } from "./shadow-record.ts";

/** One mirrored request while its two sides finish, in either order. */
export interface Pair {
  readonly route: Route;
  readonly request: DispatchRequest;
  /** Read only when the pair is recorded (and only if the primary succeeded): off the request path. */
  source?: PrimarySource;
  primaryRecord?: AuditRecord;
  /** The copy's span and trace context, from when it is sent; absent when nothing observes it. */
  copy?: CopyTelemetry;
  /** Its id on the shadow thread once handed over whole (an owned pair). */
  handed?: number;
  shadow?: ShadowOutcome;
  /** When the pair finished (both sides in): the record's time. */
  at?: number;
}

/** A pair with both sides in, ready to be compared and recorded. */
export type FinishedPair = Pair & { primaryRecord: AuditRecord; shadow: ShadowOutcome };
