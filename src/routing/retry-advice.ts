import { type GatewayError, neverRetry } from "../core/gateway-error.ts";
import { boundedDelay, delayHeaders, SDK_LONGEST_WAIT_MS, statedDelayMs } from "../core/stated-delay.ts";

/** A 429's `Retry-After` when no route said when to come back (seconds). */
export const DEFAULT_RETRY_AFTER = "1";

/**
 * What the caller of a request no route served is told about trying again, heard from each failed
 * attempt of the run: the soonest any route said to come back, and whether any route might serve
 * a later try at all.
 */
export class RetryAdvice {
  /** The soonest a failed route said to come back (ms), whichever route's failure is told. */
  private soonestMs = Number.POSITIVE_INFINITY;
  /** A failure another try may mend (a rate limit, a server fault), or a route passed over for a while. */
  private mendable = false;

  /** A failed attempt's verdict; its stated delay (`statedDelayMs`), when it said one. */
  heard(failure: GatewayError, statedMs: number | undefined): void {
    if (statedMs !== undefined) this.soonestMs = Math.min(this.soonestMs, statedMs);
    // A route whose credentials, account or model an upstream refused (`sameRouteAgain: false`)
    // refuses every call until the operator acts.
    if (failure.sameRouteAgain) this.mendable = true;
  }

  /** A route passed over while its breaker is open: it may serve again within the client's backoff. */
  passedOver(): void {
    this.mendable = true;
  }

  /**
   * The last failure as the caller gets it: a 429 says when to come back, the soonest any route
   * said (a failover's first route may have said 30 s and the last nothing) or, when none did,
   * `DEFAULT_RETRY_AFTER` (SPEC: a 429 carries a Retry-After, added beside a wait said only as
   * `retry-after-ms`); a 5xx that said a wait is told the soonest too. `x-should-retry: false`, which
   * both SDKs obey over the status, when no route could serve a later try (a client's retries
   * would only send every route the same refusal), or when the wait told is longer than the SDKs
   * wait as told (`SDK_LONGEST_WAIT_MS`): they would retry at once instead, each retry refused.
   */
  told(last: GatewayError): GatewayError {
    const headers = toldWait(this.waitTold(last), !this.mendable);
    return headers === last.headers ? last : last.with({ headers });
  }

  /**
   * The last failure's headers with the wait it is told: the soonest any route said where that is
   * sooner than its own, else its own as the gateway tells any wait (`boundedDelay`: whole seconds,
   * a day at most; `99999999999`, a date years off or `retry-after-ms: 1e24` told as sent were no
   * wait a client takes).
   */
  private waitTold(last: GatewayError): Readonly<Record<string, string>> {
    const is429 = last.status === 429;
    if (!is429 && last.status < 500) return last.headers;
    const own = statedDelayMs(last.headers);
    // A 5xx whose wait is longer than an earlier route said (the first "1 s", the fallback
    // "120 s"): the soonest, when the gateway would serve again. A last one that said nothing
    // leaves the SDKs their own backoff, sooner than any wait said.
    if (this.soonestMs < (own ?? (is429 ? Number.POSITIVE_INFINITY : 0)))
      return { ...last.headers, ...delayHeaders(this.soonestMs) };
    // Said only as `retry-after-ms` (Azure, OpenAI): kept, with the `Retry-After` every client reads.
    const bounded = boundedDelay(last.headers);
    return is429 && own === undefined ? { ...bounded, "retry-after": DEFAULT_RETRY_AFTER } : bounded;
  }
}

/**
 * A wait as it is told: `headers` with `x-should-retry: false`, which both SDKs obey over the
 * status, when they tell a wait the SDKs would not take (`outwaitsSdks`) or when `noRetry` (no try
 * could be served); else `headers` themselves.
 */
export function toldWait(
  headers: Readonly<Record<string, string>>,
  noRetry = false,
): Readonly<Record<string, string>> {
  return noRetry || outwaitsSdks(headers) ? { ...headers, ...neverRetry() } : headers;
}

/**
 * Whether the headers tell a wait the SDKs would not take (OpenAI's daily limit: 360 s, a breaker
 * whose probe is minutes off: routes-tried.ts): their retries would come at once, each refused, or
 * (Anthropic's TypeScript SDK) after all that wait. A client that means to wait reads `Retry-After`
 * itself.
 */
export function outwaitsSdks(headers: Readonly<Record<string, string>>): boolean {
  const wait = statedDelayMs(headers);
  return wait !== undefined && wait > SDK_LONGEST_WAIT_MS;
}
