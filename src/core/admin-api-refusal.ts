import { mediaTypeWords } from "./media-type.ts";

/**
 * What a call to a gateway's admin API (`--gateway`: the CLI's commands, `mindgw tail`) says of a
 * gateway it never got an answer from, in one wording for all of them: `label` is the gateway's
 * `urlLabel`, `why` the network's words (network-error-words.ts) or the silence's (`NO_ANSWER`).
 * The tail, which tries a few times first, says how many after it. The caller ends with exit code 1.
 */
export const cannotReachGateway = (label: string, why: string): string =>
  `cannot reach the gateway at ${label}: ${why}`;

/**
 * What a call to a gateway's admin API (`--gateway`: the CLI's commands, `mindgw tail`) says of an
 * admin key the gateway does not take (401), in one wording for all of them. The gateway says no
 * more of a key it does not take (unknown, revoked or expired read alike, so a guesser learns
 * nothing), and a proxy's sign-in page says nothing of ours: neither is quoted. `label` is the
 * gateway's `urlLabel`. The caller ends with exit code 2.
 */
export const adminKeyRejected = (label: string): string =>
  `admin key rejected by ${label} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike`;

/**
 * What a call to a gateway's admin API says of an admin key the gateway knows but will not let make
 * the call (403: a user key, an admin held to a tenant naming another), in one wording for all of
 * them: the gateway's own `words` after it (one printable line, without the key: gateway-words.ts),
 * none for a page that is not the gateway's error (a proxy's). The caller ends with exit code 2.
 */
export const adminKeyRefused = (label: string, words?: string): string =>
  `admin key refused by ${label} (HTTP 403)${words === undefined ? "" : `: ${words}`}`;

/**
 * What such a call says of a `--gateway` whose 2xx for `path` is not what a gateway answers there
 * (a proxy's sign-in page, another server's page or API): a wrong `--gateway`, a usage error
 * (exit 2), not a gateway's failure. `answered` says what came instead.
 */
const notAGateway = (label: string, path: string, answered: string): string =>
  `--gateway ${label} is not a mindgw gateway: ${path} answered ${answered}; give the gateway's URL (with the path a proxy serves it under, if any)`;

/** A 2xx of another media type (`media`) than the one a gateway answers with (`wanted`). */
export const notAGatewayAt = (
  label: string,
  path: string,
  status: number,
  media: string,
  wanted: string,
): string => notAGateway(label, path, `HTTP ${status} with ${mediaTypeWords(media)}, not ${wanted}`);

/** A 2xx of JSON without `field`, which every gateway's answer there holds (another server's API). */
export const notAGatewayAnswer = (label: string, path: string, status: number, field: string): string =>
  notAGateway(label, path, `HTTP ${status} with JSON without "${field}"`);

/**
 * A 2xx of JSON holding the field, but not as a gateway's answer holds it: `fault` says where
 * (`whose "keys.0" is no gateway's (expected an object)`, `without "id"`).
 */
export const notAGatewayShape = (label: string, path: string, status: number, fault: string): string =>
  notAGateway(label, path, `HTTP ${status} with JSON ${fault}`);

/**
 * What such a call says of a `--gateway` with no admin API behind it (a 404 for `path`: an API's
 * URL, `…/v1`, or another server), in one wording for all of them. A wrong `--gateway` is a usage
 * error (exit 2), as one with a query or one that redirects.
 */
export const noAdminApiAt = (label: string, path: string): string =>
  `--gateway ${label} serves no ${path} (HTTP 404): give the gateway's URL (with the path a proxy serves it under, if any), not an API's such as …/v1`;
