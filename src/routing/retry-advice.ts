import type { GatewayError } from "../core/gateway-error.ts";

/**
 * What the caller of a request no route served is told about trying again, heard from each failed
 * attempt of the run: whether any route might serve a later try at all.
 */
export class RetryAdvice {
  /** A failure another try may mend (a rate limit, a server fault), or a route passed over for a while. */
  private mendable = false;

  /** A failed attempt's verdict. */
  heard(failure: GatewayError): void {
    // A route whose credentials, account or model an upstream refused (`sameRouteAgain: false`)
    // refuses every call until the operator acts.
    if (failure.sameRouteAgain) this.mendable = true;
  }

  /** A route passed over while its breaker is open: it may serve again within the client's backoff. */
  passedOver(): void {
    this.mendable = true;
  }

  /**
   * The last failure as the caller gets it: when no route could serve a later try either,
   * `x-should-retry: false`, which both SDKs obey over the status (a client's retries would only
   * send every route the same refusal).
   */
  told(last: GatewayError): GatewayError {
    if (this.mendable) return last;
    return last.with({ headers: { ...last.headers, "x-should-retry": "false" } });
  }
}
