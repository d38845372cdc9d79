import type { Authenticator } from "../auth/authenticate.ts";
import type { Policy } from "../auth/policy.ts";
import type { KnownAs } from "../models/model-index.ts";
import type { Router } from "../routing/router.ts";
import type { CallerBinding } from "../tenants/bind-tenant.ts";
import type { TrustedProxies } from "./trusted-proxies.ts";

/**
 * What one request needs from config, all of one config version. The front door takes it once,
 * when the request arrives, and uses it to the end (streams included): a reload never shows a
 * request half of the old config and half of the new. Built by gateway/runtime.ts.
 */
export interface RequestRuntime {
  /** The config version this was built from (`/admin/api/status`, `/readyz`). */
  readonly version: number;
  /** Bound to this version's route table, breaker policy and routing settings. */
  readonly router: Router;
  /**
   * Whether a route serves the model to a caller of `tenant` (configured, or a connected worker's
   * that tenant may use): a model nobody serves it is a 404 before the caller's limits count the
   * request. How it is known says whether the name may be recorded as it came (recorded-model.ts).
   */
  readonly routes: (model: string, tenant: string) => KnownAs | undefined;
  /** API keys (one cache for every version) and this version's `auth.jwt` and tenants. */
  readonly authenticate: Authenticator;
  /**
   * How this version binds a caller `authenticate` did not admit (a web UI session's principal):
   * with its tenant's rules, as `authenticate` binds its own (tenants/bind-tenant.ts).
   */
  readonly bindCaller: CallerBinding;
  /** Limits and budgets with this version's prices. */
  readonly limits: Policy;
  /** `server.max_body` */
  readonly maxBody: number;
  /** `server.body_timeout`: the whole request body must arrive within this (else 408). */
  readonly bodyTimeout: number;
  /** `server.max_client_requests`: requests in flight per client address (0: no cap). */
  readonly maxClientRequests: number;
  /** `server.trusted_proxies`; undefined when none is (every address is its socket's peer). */
  readonly trustedProxies?: TrustedProxies | undefined;
  /** `routing.stream_keepalive`: a stream's first token later than this commits with keep-alive comments (0: never). */
  readonly streamKeepAlive: number;
  /** How long a stream's socket may go quiet, in seconds (gateway/stream-socket-idle.ts). */
  readonly streamSocketIdle: number;
  /** `server.idle_timeout` in seconds, as the listener was started with it: a stream's socket gets it back. */
  readonly socketIdle: number;
  /** `audit.bodies`: keep request and response bodies on the ledger for the audit row. */
  readonly captureBodies: boolean;
}
