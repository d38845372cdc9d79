import type { Config } from "../config/config-schema.ts";
import type { Usage } from "../core/usage.ts";
import type { Principal } from "./principal.ts";
import type { Served } from "./rate-limiter.ts";

/** Whether a listing of models (`Policy.lists`) shows this one. */
export type ListedModels = (model: string) => boolean;

/** What `Policy.record` counted, on its way to other processes that count it too. */
export interface SharedCharge {
  costUsd: number;
  /**
   * Settles once they have this record, or once sending it failed (bound it: the answer waits for
   * it). A stream's bytes holding its end marker and a whole answer wait for it
   * (http/sse-response.ts, http/model-pipeline.ts), so that its client's next request, to any
   * process, finds it counted.
   */
  counted: Promise<void>;
}

/**
 * The seam for limits and budgets: every model call is admitted here before it is routed and
 * accounted here after it ends — but `count_tokens`, which is never billed and takes no slot of
 * any limit (it is accounted all the same, at no cost). The built-in policy (auth/rate-limiter.ts) enforces rpm, tpm and
 * spend budgets; a custom one can refuse with a `GatewayError` of its own status (429, 403, ...).
 */
export interface Policy {
  /**
   * Throws (or rejects with) a `GatewayError` to refuse the call; else returns response headers
   * to add (`x-ratelimit-*` for the built-in policy). Async when the counters are shared by
   * several nodes (a round trip to Redis). `into` is the response's own headers record: a policy
   * may write its headers there and return it (the built-in one does when it admits locally: no
   * record of its own a request); one that returns another record has it added.
   */
  admit(
    principal: Principal,
    model?: string,
    into?: Record<string, string>,
  ): Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>;
  /**
   * The models `admit` could admit to this caller at all, asked once a listing (`/v1/models`, `GET
   * /v1/models/{id}`): one it returns false for, it would refuse whatever its counters say (the
   * built-in policy: a model with no price under a budget, auth/limit-pricing.ts), and the listing
   * leaves it out, `GET /v1/models/{id}` answering 404 as for a model the caller may not use.
   * Undefined (or no `lists`): it refuses none so, and every model the caller's allow-lists admit is
   * listed, nothing asked a model. Called a model per listing: make the answer cheap.
   */
  lists?(principal: Principal): ListedModels | undefined;
  /**
   * Counts what an answer actually used; returns its cost in USD for the audit row. `served`
   * names the route and upstream model, which the catalogue prices. A policy that counts for other
   * processes too (a cluster node's shared counters: cluster/redis-counters.ts) returns a
   * `SharedCharge` where this record is on its way to them: the request's answer waits for it.
   * `answer`: when this is a whole (non-stream) answer's charge, or a charge beside it (a failed
   * attempt its upstream billed), or what a call every route failed owes, the headers of the answer
   * or error answer, not sent yet, where `admit` wrote its own: a policy may bring them up to date
   * with this charge (the built-in one counts its tokens in its `x-ratelimit-*-tokens` on a single
   * node). Absent for a stream's, whose headers went out at its start; for one whose upstream sent
   * it whole in one read too, whose headers are not sent yet: a stream's mean the same however its
   * bytes came.
   */
  record(
    principal: Principal,
    model: string,
    usage: Usage,
    served?: Served,
    answer?: Record<string, string>,
  ): number | SharedCharge;
  /**
   * The policy as one config version sees it (that version's prices and limits), built once per
   * version into the gateway's runtime snapshot: a request admitted under one version is recorded
   * under the same one. State (counters, spend) is shared across versions. Without it, this one
   * policy serves every version and `reconfigure` tells it of each.
   */
  forConfig?(config: Config): Policy;
  /**
   * What `tenant` has spent in the budget period (UTC day or month) containing `at`, as its budget
   * reads it: the `mindgw_tenant_spend_usd` gauge, which is not exported without it.
   */
  tenantSpent?(tenant: string, per: "day" | "month", at: number): number;
  /**
   * Gone (session 46): a rotation no longer hands the old key's spend to the new one; every key of
   * a rotation chain counts its spend under `principal.chain`. Declared `never` so a policy that
   * still implements it fails to compile, rather than its copy silently never being called.
   */
  carrySpend?: never;
  /** Called with each new config after a reload (prices, limits). */
  reconfigure?(config: Config): void;
  /** Flushes state (spend totals) on stop. */
  close?(): Promise<void>;
}
