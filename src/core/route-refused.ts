import { type ErrorCode, GatewayError } from "./gateway-error.ts";
import { refusesApiVersion, type UpstreamFault } from "./upstream-fault.ts";

/** The faults that are the route's, not the call's: its credentials, its account, its model or URL, what its model serves. */
export type RouteRefusal = Extract<UpstreamFault, "credentials" | "account" | "route" | "path" | "operation">;

/** How the upstream refused: the status its answer or its error stands for, and its own words. */
export interface Refused {
  /** How a message names the upstream (`upstream fa`, or `the upstream` where its name is not known). */
  readonly name: string;
  /** The status judged: the answer's, or the one an error said inside an answer stands for. */
  readonly status: number;
  /** The status the upstream sent, for the attempt's audit entry, when another was judged (default `status`). */
  readonly sent?: number;
  /** The upstream's own words, for the log alone (`detail`). */
  readonly said?: string | undefined;
  /** Said inside an answer (a stream's error event, a 200's body), not by the answer's status. */
  readonly inAnswer?: boolean;
}

const CODE: Readonly<Record<RouteRefusal, ErrorCode>> = {
  credentials: "upstream_auth",
  account: "upstream_account",
  route: "upstream_error",
  path: "upstream_error",
  operation: "upstream_error",
};

/** The gateway's words for each refusal, said the same whichever way the upstream said it. */
function words(fault: RouteRefusal, { name, status, inAnswer, said }: Refused): string {
  switch (fault) {
    case "credentials":
      return status === 403
        ? `${name} refused the gateway's request (forbidden)`
        : `${name} rejected the gateway's credentials`;
    case "account":
      return `${name} refused the gateway's account (billing or quota)`;
    case "route":
      if (refusesApiVersion(said))
        return `${name} ${inAnswer ? "said" : `answered ${status}:`} the route's API version is not served there (its provider's api_version)`;
      return inAnswer
        ? `${name} does not know the route's model`
        : `${name} answered ${status}: the route's model or URL is not found there`;
    case "path":
      return noPathWords(name, inAnswer ? "said" : `answered ${status}:`, "base_url");
    case "operation":
      return `${name} ${inAnswer ? "said" : `answered ${status}:`} the route's model does not serve this operation`;
  }
}

/**
 * The route refused, not the call: another route may serve the same request, while this one would
 * refuse it again (no retry of it) and refuses every call until the operator acts (its breaker
 * counts it) — but for a `path` or an `operation`, which refuse only the calls of an operation the
 * caller chose, and which no breaker counts (core/upstream-fault.ts), for a direct route and a worker alike. A 502 in the gateway's words: the upstream's own, which may name the operator's
 * organisation, key or billing and would read as the caller's own fault (a 401 "invalid x-api-key",
 * a credit balance to top up), go to the log alone (`detail`, redacted there). Both an answer's
 * status (providers/http/upstream-failure.ts) and an error said inside an answer
 * (translate/stream/in-band-error.ts) are told so.
 */
export function routeRefused(fault: RouteRefusal, refused: Refused): GatewayError {
  return new GatewayError({
    status: 502,
    code: CODE[fault],
    message: words(fault, refused),
    retryable: true,
    sameRouteAgain: false,
    // Azure's deployment that does not serve an operation is counted as a path no API answered:
    // an alert names a provider that served nothing else (a chat route's embedding deployment).
    ...(fault === "path" || fault === "operation" ? NO_SUCH_PATH : {}),
    // The upstream's status for the attempt's audit entry; no body, which no caller gets.
    upstream: { dialect: undefined, status: refused.sent ?? refused.status },
    ...(refused.said ? { detail: refused.said } : {}),
  });
}

/**
 * The words for a call whose path no API answered on `name`'s server (`said`: how, `answered 404:`),
 * naming both causes the operator may have to act on: the server lacks the operation, or its URL is
 * wrong where the gateway is told it (`setting`: a route's `base_url`, a worker's `--upstream`), a
 * mistake that meets the same 404 on every call and is said nowhere else.
 */
export const noPathWords = (name: string, said: string, setting: string): string =>
  `${name} ${said} no route for the call's path there (an operation it does not serve, or a wrong ${setting})`;
/** Counted by no breaker; counted apart by metrics, so that a wrong `base_url` behind a fallback is seen. */
const NO_SUCH_PATH = { countsAgainstRoute: false, noSuchPath: true } as const;
