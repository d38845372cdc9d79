import type { AppScope } from "../apps/app-tenant.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import type { KeySessions } from "../auth/key-sessions.ts";
import type { Policy } from "../auth/policy.ts";
import type { Principal } from "../auth/principal.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import type { ResponseStore } from "../storage/storage.ts";
import type { CallerBinding } from "../tenants/bind-tenant.ts";
import type { CallerHolds } from "../tenants/caller-holds.ts";
import type { BoundAuthenticator } from "./bound-authenticator.ts";
import type { ClientSlots } from "./client-slots.ts";
import type { InFlightResponses } from "./in-flight-responses.ts";
import type { Lifecycle } from "./lifecycle.ts";
import type { PluginBound } from "./plugin-bound.ts";
import type { RequestEnds } from "./request-ends.ts";
import type { RequestObserver } from "./request-ledger.ts";
import type { RequestRuntime } from "./request-runtime.ts";
import type { Shutdown } from "./shutdown.ts";

/** Limits and budgets as the front door sees them: the policy seam (auth/policy.ts). */
export type Limits = Policy;

export interface FrontDoorDeps {
  /** The current config version's parts; read once per request, at its start. */
  readonly runtime: () => RequestRuntime;
  /**
   * Wraps the runtime's authenticator for this front door: the admin UI's session cookie, an
   * app's narrowing to its models and tenant. A function of one config version's authenticator
   * and its binding of callers it did not admit (`RequestRuntime.bindCaller`: a session's) alone:
   * called once per version, not per request.
   */
  readonly authenticate?: (inner: Authenticator, bindCaller: CallerBinding) => Authenticator;
  /**
   * The app (`apps:`) this front door serves, if any: its name goes on every request's record, and
   * a caller of another tenant than its `tenant` is refused once recorded (apps/app-tenant.ts).
   */
  readonly app?: AppScope;
  /**
   * Who a request's API key names when the key cache holds it now, never a store read: a request
   * refused before it is authenticated (draining, at capacity) is recorded with its key. Absent
   * (an embedder's front door), such a refusal names none.
   */
  readonly knownCaller?: (headers: Headers) => Principal | undefined;
  readonly observer: RequestObserver;
  /** Where ended requests wait for the turn's responses to be written. */
  readonly ends: RequestEnds;
  readonly lifecycle: Lifecycle;
  /**
   * The open requests: ended (with a 503 as its reason) when a stop's drain deadline passes, so
   * requests still running end with an error event and are recorded as such, instead of a reset
   * connection; and polled for clients that left. Absent, each front door keeps its own list.
   */
  readonly shutdown?: Shutdown;
  /** Requests in flight per client address (`server.max_client_requests`). */
  readonly clientSlots?: ClientSlots;
  readonly logger: Logger;
  /** A reason to refuse all traffic but monitoring reads (audit storage down without fail_open). */
  readonly refusal: () => GatewayError | undefined;
  /** Stored Responses API answers, for `previous_response_id` chains. */
  readonly responses: ResponseStore;
  /**
   * The stored responses this node is answering now, read as `in_progress` until their row is
   * written (in-flight-responses.ts); the same the `GET /v1/responses/{id}` route reads. Absent:
   * a response is readable once stored.
   */
  readonly inFlight?: InFlightResponses;
  /**
   * How long an embedder's plug-ins may take for one request (absent for the built-in ones, which
   * are never timed): past it, 503 (plugin-bound.ts). `admit`: its policy's admission. `authenticate`:
   * its authenticator, bound where it is handed in, before the gateway's parts are composed around
   * it; each call it makes is timed on the wait of the request that made it.
   */
  readonly pluginBounds?: {
    readonly admit?: PluginBound;
    readonly authenticate?: Pick<BoundAuthenticator, "callOf">;
  };
  /** Live requests per key: a revoke or expiry ends them (streams with an error event). */
  readonly sessions?: KeySessions;
  /**
   * What callers hold open, held to the config in force (a Responses WebSocket): a reload that
   * removes the caller's tenant ends it (tenants/caller-holds.ts).
   */
  readonly holds?: CallerHolds;
}
