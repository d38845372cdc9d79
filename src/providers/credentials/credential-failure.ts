import { GatewayError, type GatewayErrorInit } from "../../core/gateway-error.ts";
import { statedDelayMs } from "../../core/stated-delay.ts";
import { upstreamName } from "../upstream-name.ts";

/**
 * The gateway could not obtain credentials for an upstream: its fault, worth another route. A
 * 502, retryable. `retryAfterMs`: how long the credential endpoint asked to be left alone (its
 * `Retry-After` on a 429 or 503), which the cache waits out before it asks again
 * (fetch-backoff.ts); never sent to the caller.
 */
export class CredentialFailure extends GatewayError {
  constructor(
    init: GatewayErrorInit,
    readonly retryAfterMs: number | undefined,
    /** The status the credential endpoint answered with, when it answered one (ec2-instance-metadata.ts reads it). */
    readonly answered?: number,
  ) {
    super(init);
  }
}

/** What every credential failure's words begin with. */
const couldNotGet = (provider: string) => `could not get credentials for ${upstreamName(provider)}: `;

/** A credential failure's words after `couldNotGet`: why, to be said inside another failure's. */
export const whyOf = (provider: string, failure: Error): string => {
  const start = couldNotGet(provider);
  return failure.message.startsWith(start) ? failure.message.slice(start.length) : failure.message;
};

/**
 * A `CredentialFailure` naming the provider, never the secret. `known`: what was thrown (`cause`)
 * and the endpoint's own words (`detail`), for the log alone.
 */
export const credentialFailure = (
  provider: string,
  why: string,
  known: Pick<GatewayErrorInit, "cause" | "detail"> = {},
  retryAfterMs?: number,
  answered?: number,
) =>
  new CredentialFailure(
    {
      status: 502,
      code: "upstream_error",
      message: `${couldNotGet(provider)}${why}`,
      retryable: true,
      ...known,
    },
    retryAfterMs,
    answered,
  );

/**
 * How long an endpoint that throttles (429) or is down for now (503) asked to be left alone: its
 * `Retry-After`, in seconds or as an HTTP date (RFC 9110 §10.2.3). Undefined for other statuses.
 */
export function statedWait(response: Response, now: number): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  const value = response.headers.get("retry-after");
  return value === null ? undefined : statedDelayMs({ "retry-after": value }, now);
}
