/**
 * Whose fault an upstream's error answer is. What the router does with the failure (retry the
 * route, fail over, count it towards the route's breaker) and what the caller is told follow from
 * it (upstream-failure.ts builds the GatewayError for each).
 */
export type UpstreamFault =
  /** The request itself (a 400, 413, 422, …): the caller's error, in the upstream's words; no retry. */
  | "request"
  /** A rate limit (429): retried, failed over, then relayed with when to come back; no breaker. */
  | "throttle"
  /**
   * A request larger than the gateway's account may ever send the route at its tier (OpenAI's 429
   * "Request too large for gpt-4o … on tokens per min (TPM): Limit 30000, Requested 50000"): the
   * same route would refuse it however long the caller waited, so it is not sent it again; another
   * route may take it. The account is not dead (smaller requests are served): no breaker.
   */
  | "tier"
  /** The gateway's credentials or permissions refused (401, 403): the route is down until fixed. */
  | "credentials"
  /** The gateway's account cannot pay (402, a billing or quota refusal): down until it is topped up. */
  | "account"
  /**
   * The route's model unknown upstream (a model call's 404: OpenAI's `model_not_found`, Azure's
   * `DeploymentNotFound`, Anthropic's `not_found_error`, Google's `NOT_FOUND`): the route's
   * configuration is wrong, not the caller's request, which named the gateway's model.
   */
  | "route"
  /** The upstream failed (5xx, 408, 409): worth another attempt or route. */
  | "server";

/** What the upstream said besides its status (its body's type, code and message, when it has them). */
export interface UpstreamSaid {
  readonly type?: string | undefined;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
}

/** The fault an error answer stands for, by its status and, for the account's refusals, its words. */
export function upstreamFault(status: number, said: UpstreamSaid = {}): UpstreamFault {
  if (status >= 400 && status < 500 && refusesAccount(status, said)) return "account";
  if (status === 401 || status === 403) return "credentials";
  if (status === 404) return "route";
  if (status === 429) return said.message && TOO_LARGE_FOR_TIER.test(said.message) ? "tier" : "throttle";
  if (status >= 400 && status < 500 && status !== 408 && status !== 409) return "request";
  return "server";
}

/**
 * The account's refusals, matched on the vendors' own types and words only: a 402 from any
 * upstream (OpenRouter's "Insufficient credits"); Anthropic's `billing_error`; OpenAI's
 * `insufficient_quota` (a 429, but no wait ends it: "You exceeded your current quota, please check
 * your plan and billing details."); and Anthropic's two 400 `invalid_request_error`s that are its
 * account's, "Your credit balance is too low to access the Anthropic API. …" and its spend limit,
 * "You have reached your specified API usage limits. You will regain access on … UTC."
 */
function refusesAccount(status: number, { type, code, message }: UpstreamSaid): boolean {
  if (status === 402 || type === "billing_error") return true;
  if (type === "insufficient_quota" || code === "insufficient_quota") return true;
  return message !== undefined && ANTHROPIC_ACCOUNT.test(message);
}

const ANTHROPIC_ACCOUNT =
  /^(Your credit balance is too low to access the Anthropic API|You have reached your specified API usage limits)/;

/** OpenAI's wording for a request over its per-minute (or per-day) token limit on its own. */
const TOO_LARGE_FOR_TIER = /^Request too large for .+ on tokens per (min|day)\b/;
