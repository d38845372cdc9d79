import { GatewayError, type GatewayLimit, neverRetry } from "../core/gateway-error.ts";
import { numberText } from "../core/number-text.ts";
import { RETRY_AFTER_WORDS } from "../core/retry-after-words.ts";
import { anthropicLimitHeaders, saysAnthropicLimits } from "./anthropic-limit-headers.ts";
import type { Scope } from "./limit-scope.ts";
import { formatReset } from "./reset-format.ts";

/** Usage as the headers and refusals read it, from local counters or a shared admission. */
export interface CounterView {
  requestsUsed(subject: string): number;
  requestsResetMs(subject: string): number;
  tokensUsed(subject: string): number;
  tokensResetMs(subject: string): number;
}

/** The headers of a request with no rpm or tpm (shared, never written to). */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** A header family: requests per minute or tokens per minute. */
type Family = "requests" | "tokens";

/** The limit that refused a request: its headers describe that scope, whatever the others have left. */
export interface RefusedLimit {
  readonly scope: Scope;
  readonly limit: GatewayLimit;
  /** How long until it admits again (what Retry-After says): the refused family's reset. */
  readonly waitMs: number;
}

/**
 * Each x-ratelimit-* header family from the scope that binds first: the one with the least left of
 * that limit (the key's own, its tenant's, or a JWT subject's), on a tie the one that frees up
 * soonest, so the headers never promise requests or tokens a tighter scope would refuse. A
 * refusal's own limit is described by the scope that refused (`refused`): its remaining count, and
 * as its reset the wait Retry-After says, not when its window empties (its newest entry's minute).
 * Written into `headers` (the response's own record when admission has it: no record a request)
 * and returned. The remaining counts differ from one answer to the next: made by numberText, not
 * `String` (number-text.ts); a limit repeats, so `String` hands back the same string.
 */
export function limitHeaders(
  scopes: readonly Scope[],
  view: CounterView,
  headers: Record<string, string> = {},
  refused?: RefusedLimit,
): Record<string, string> {
  writeFamily(scopes, "requests", view, headers, refused);
  writeFamily(scopes, "tokens", view, headers, refused);
  return headers;
}

/**
 * The tokens family again, once an answer's tokens are counted: a whole (non-stream) answer's
 * headers, not sent yet, count its own tokens as the requests family counts its own request
 * (admission wrote them before the answer was in). A stream's never do (`Policy.record`).
 */
export function chargedTokenHeaders(
  scopes: readonly Scope[],
  view: CounterView,
  headers: Record<string, string>,
) {
  writeFamily(scopes, "tokens", view, headers, undefined);
  // A Messages caller's Anthropic names say the same numbers (anthropic-limit-headers.ts).
  if (saysAnthropicLimits(headers)) anthropicLimitHeaders(headers, Date.now());
}

const NAMES = {
  requests: {
    limit: "x-ratelimit-limit-requests",
    remaining: "x-ratelimit-remaining-requests",
    reset: "x-ratelimit-reset-requests",
  },
  tokens: {
    limit: "x-ratelimit-limit-tokens",
    remaining: "x-ratelimit-remaining-tokens",
    reset: "x-ratelimit-reset-tokens",
  },
} as const;

/** One family's three headers, from its binding scope; none when no scope has its limit. */
function writeFamily(
  scopes: readonly Scope[],
  family: Family,
  view: CounterView,
  headers: Record<string, string>,
  refused: RefusedLimit | undefined,
): void {
  const scope = binding(scopes, family, view, refused);
  const limit = family === "requests" ? scope?.rpm : scope?.tpm;
  if (scope === undefined || limit === undefined) return;
  const names = NAMES[family];
  headers[names.limit] = String(limit);
  headers[names.remaining] = numberText(found.left);
  headers[names.reset] = formatReset(foundResetMs(scope, family, view));
}

/**
 * What `binding` read of the scope it returns, kept for the headers so no counter is read twice
 * (each read prunes and sums a window): what is left of the limit, and when its window frees up
 * (`resetRead` false when not read; a refusal's wait for the family it refused). One object,
 * written in place: no allocation a request. The headers are made synchronously, each family's
 * read straight after its `binding`. "Not read" is its own flag, not a value of `resetMs` (it was
 * NaN): a field that holds numbers and now and then NaN sent the optimised code back to the
 * interpreter each time it met the other kind (an OSR exit storm in `foundResetMs` under load,
 * seen with bench/jit-compiles.ts --exits).
 */
const found = { left: 0, resetMs: 0, resetRead: false };

/** The scope a family's headers describe: the one that refused it, else the tightest. */
function binding(
  scopes: readonly Scope[],
  family: Family,
  view: CounterView,
  refused: RefusedLimit | undefined,
): Scope | undefined {
  if (refused?.limit !== family) return tightest(scopes, family, view);
  found.left = remaining(refused.scope, family, view) ?? 0;
  found.resetMs = refused.waitMs;
  found.resetRead = true;
  return refused.scope;
}

/** `found.resetMs` when `binding` read it, else read now. */
const foundResetMs = (scope: Scope, family: Family, view: CounterView): number =>
  found.resetRead ? found.resetMs : resetMs(scope, family, view);

/**
 * Of the scopes with this family's limit, the one with the least left; on a tie, the one whose
 * window frees up soonest (read only then). A loop, no closure per request; what it read of the
 * scope it returns is in `found`.
 */
function tightest(scopes: readonly Scope[], family: Family, view: CounterView): Scope | undefined {
  let best: Scope | undefined;
  found.left = 0;
  found.resetRead = false;
  for (const scope of scopes) {
    const left = remaining(scope, family, view);
    if (left === undefined) continue;
    if (best === undefined || left < found.left) {
      best = scope;
      found.left = left;
      found.resetRead = false;
      continue;
    }
    if (left !== found.left) continue;
    if (!found.resetRead) {
      found.resetMs = resetMs(best, family, view);
      found.resetRead = true;
    }
    const reset = resetMs(scope, family, view);
    if (reset < found.resetMs) {
      best = scope;
      found.resetMs = reset;
    }
  }
  return best;
}

/** What the scope has left of this family's limit this minute; undefined when it has no such limit. */
function remaining(scope: Scope, family: Family, view: CounterView): number | undefined {
  if (family === "requests")
    return scope.rpm === undefined ? undefined : Math.max(0, scope.rpm - view.requestsUsed(scope.subject));
  return scope.tpm === undefined ? undefined : Math.max(0, scope.tpm - view.tokensUsed(scope.subject));
}

const resetMs = (scope: Scope, family: Family, view: CounterView): number =>
  family === "requests" ? view.requestsResetMs(scope.subject) : view.tokensResetMs(scope.subject);

/**
 * Which per-minute limit refused, as the message says it (OpenAI's words, "requests per minute"),
 * with its value: so the access line and the audit row, which keep the message, tell an rpm
 * refusal from a tpm one, and the key's from its tenant's (the owner before it).
 */
function perMinute(scope: Scope, limit: GatewayLimit): string {
  const [unit, value] = limit === "tokens" ? ["tokens", scope.tpm] : ["requests", scope.rpm];
  return value === undefined ? `${unit} per minute` : `${unit} per minute (limit ${value})`;
}

/**
 * A 429 for the scope that refused: its headers describe that limit, so Retry-After and the
 * remaining counts agree (for a budget, `waitMs` is `budgetWaitMs`: the period's end). It names the
 * limit (`refusedBy`, which tells it from an upstream's 429), and its message says which: the
 * scope's owner, and requests or tokens per minute. The wait is said in whole seconds, at least one,
 * in Retry-After and the refused family's reset alike: `1s` beside `Retry-After: 1`, never the
 * `340ms` (or a cluster verdict's `0ms`) left of it.
 */
export function limitRefusal(
  scopes: readonly Scope[],
  scope: Scope,
  view: CounterView,
  limit: GatewayLimit,
  waitMs: number,
): GatewayError {
  const waitSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  const headers = limitHeaders(scopes, view, {}, { scope, limit, waitMs: waitSeconds * 1000 });
  headers["retry-after"] = String(waitSeconds);
  const budget = limit === "budget";
  // A spent budget frees up in hours at best: the official SDKs read this and do not retry.
  if (budget) Object.assign(headers, neverRetry());
  const message = budget
    ? `spend budget exhausted for ${scope.owner}; ${budgetEnd(scope)}`
    : `rate limit reached for ${scope.owner} on ${perMinute(scope, limit)}; retry in ${RETRY_AFTER_WORDS}`;
  const code = budget ? "budget_exceeded" : "rate_limited";
  return new GatewayError({ status: 429, code, message, headers, refusedBy: limit });
}

/** What a spent budget's refusal says of its end: when it starts over, or who can raise it. */
function budgetEnd(scope: Scope): string {
  if (scope.budgetPer !== undefined)
    return `it starts over when the ${scope.budgetPer} ends (UTC), in ${RETRY_AFTER_WORDS}`;
  // No admin call reaches a JWT subject's budget: it is the config's, the same for every subject.
  if (scope.kind === "jwt")
    return "it does not reset (every token subject's budget is auth.jwt.limits.budget_usd in the gateway's config; an operator can raise it)";
  return "it does not reset (an admin can raise it)";
}

/**
 * Which limit of the refusing scope shared counters hit, when their verdict says only
 * `rate_limited` (the Redis counters name it: `SharedAdmission`): a scope whose tokens are spent
 * is taken to be refused for them.
 */
export function sharedRefusalLimit(
  code: "rate_limited" | "budget_exceeded",
  scope: Scope,
  view: CounterView,
): GatewayLimit {
  if (code === "budget_exceeded") return "budget";
  return scope.tpm !== undefined && view.tokensUsed(scope.subject) >= scope.tpm ? "tokens" : "requests";
}
