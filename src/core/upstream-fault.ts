import { namesAnthropicModel } from "./anthropic-errors.ts";
import { saidOverloaded } from "./overload.ts";
import { SDK_LONGEST_WAIT_MS } from "./stated-delay.ts";

/**
 * Whose fault an upstream's error answer is. What the router does with the failure (retry the
 * route, fail over, count it towards the route's breaker) and what the caller is told follow from
 * it: providers/http/upstream-failure.ts builds the GatewayError of each for an answer's status,
 * translate/stream/in-band-error.ts for an error said inside an answer (by the status its type or
 * code stands for).
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
  /**
   * A day's quota spent (OpenAI's and Groq's "… on requests per day (RPD)" or "tokens per day
   * (TPD)", Bedrock's ServiceQuotaExceededException "Too many tokens per day", Google's QuotaFailure
   * naming a day's quota, `GenerateRequestsPerDayPerProjectPerModel-FreeTier`), with no short wait
   * stated: none, or one longer than the SDKs wait as told (OpenAI's daily limit says its reset,
   * `x-ratelimit-reset-requests: 6m0s`, which reads as `Retry-After: 360`: retry-headers.ts). The
   * route refuses every call until the quota resets, as a spent account does: it is not sent the
   * call again, its breaker counts it (so the next callers go to another route first, not to the
   * spent one), and a caller is told not to retry at once (routing/retry-advice.ts) unless another
   * route may serve. A day's limit that says a short wait (Groq's rolling RPD: "Please try again in
   * 6s", `retry-after: 6`) is a `throttle`: waiting it out is served. Google's is not: its RetryInfo
   * comes with every RESOURCE_EXHAUSTED, a day's quota among them (the minute window's wait, 47 s
   * on a free tier's 50 requests a day), and a call after it is refused again until the day ends.
   */
  | "daily"
  /** The gateway's credentials or permissions refused (401, 403): the route is down until fixed. */
  | "credentials"
  /** The gateway's account cannot pay (402, a billing or quota refusal): down until it is topped up. */
  | "account"
  /**
   * The route's model unknown upstream (a 404 that names the model or deployment: `namesRoute`),
   * or its API version refused (Azure's 400: `refusesApiVersion`): the route's configuration is
   * wrong, not the caller's request, which named the gateway's model.
   * Any other 404 is the caller's (`request`), or a `path`.
   */
  | "route"
  /**
   * The route's model found, but not serving the operation called (Azure's 400
   * `OperationNotSupported`): failed over at once and not sent the same route again, as a `path`
   * is, and for the same reason counted by no breaker: the caller chooses the operation, and
   * Azure says so alike for a chat route's embedding deployment and for a legacy client's
   * /v1/completions on a healthy chat deployment, whose chat callers it must not refuse.
   */
  | "operation"
  /**
   * A 404 that no API answered (`NO_SUCH_PATH`, an HTML page, nothing): the route's server has no
   * route for the call's path. Its server lacks the operation (a chat-only vLLM asked for
   * /v1/embeddings; a vLLM serving an embedding model registers no /v1/chat/completions), or its
   * `base_url` is wrong. Either way the same route would answer so again, and another may serve:
   * failed over at once. But no breaker counts it, whichever the operation: the caller chooses the
   * operation, and a caller must never open a route's breaker for the callers of another (with no
   * operation every server of a type serves, chat's own 404 could be one's). A wrong `base_url`
   * still says so on each call (core/route-refused.ts).
   */
  | "path"
  /** The upstream failed (5xx, 408, 409, an overload at any status): worth another attempt or route. */
  | "server";

/** What the upstream said besides its status (its body's type, code and message, when it has them). */
export interface UpstreamSaid {
  readonly type?: string | undefined;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  /** Its body was no JSON object (an HTML page, plain text, nothing): no API's error. */
  readonly noErrorBody?: boolean | undefined;
  /** The wait it said before trying again (ms: `statedDelayMs` of its retry headers), when it said one. */
  readonly statedWaitMs?: number | undefined;
  /** The quotas it said were exceeded, by id (Google's QuotaFailure and ErrorInfo: core/google-errors.ts). */
  readonly quotaIds?: readonly string[] | undefined;
}

/** The fault an error answer stands for, by its status and, for the account's refusals, its words. */
export function upstreamFault(status: number, said: UpstreamSaid = {}): UpstreamFault {
  if (status >= 400 && status < 500 && refusesAccount(status, said)) return "account";
  if (status === 401 || status === 403) return "credentials";
  if (status === 404) return namesRoute(said) ? "route" : noSuchPath(said) ? "path" : "request";
  if (status === 400 && said.code === OPERATION_NOT_SUPPORTED) return "operation";
  if (status === 400 && said.code === BAD_REQUEST && refusesApiVersion(said.message)) return "route";
  // An overload said at 429 (Moonshot's `engine_overloaded_error`) is the server's, as at 503.
  if (status === 429) return saidOverloaded(status, said.type, said.code) ? "server" : rateLimit(said);
  if (status >= 400 && status < 500 && status !== 408 && status !== 409) return "request";
  return "server";
}

/**
 * The account's refusals, matched on the vendors' own types and words only: a 402 from any
 * upstream (OpenRouter's "Insufficient credits"); Anthropic's `billing_error`; OpenAI's
 * `insufficient_quota` (a 429, but no wait ends it: "You exceeded your current quota, please check
 * your plan and billing details.") and `billing_not_active` (a 429 alike: "Your account is not
 * active, please check your billing details on our website."); Moonshot's (Kimi's) 429
 * `exceeded_current_quota_error` ("Your account … is suspended due to insufficient balance…", a
 * type and no code); Anthropic's two 400 `invalid_request_error`s that are its account's,
 * "Your credit balance is too low to access the Anthropic API. …" and its spend limit, "You have
 * reached your specified API usage limits. You will regain access on … UTC."; and xAI's, in its own
 * shape (`{"code":"permission-denied","error":"…"}`, whose words are all that tell it from a key
 * without permission), a 403 or a 429: "Your team … has either used all available credits or
 * reached its monthly spending limit. …", and a new team's "Your newly created team doesn't have
 * any credits or licenses yet. …" ("teams" in its older words).
 */
function refusesAccount(status: number, { type, code, message }: UpstreamSaid): boolean {
  if (status === 402 || type === "billing_error") return true;
  if ((type !== undefined && OPENAI_ACCOUNT.has(type)) || (code !== undefined && OPENAI_ACCOUNT.has(code)))
    return true;
  return message !== undefined && ACCOUNT_WORDS.test(message);
}

/** OpenAI's types and codes (each both), and OpenAI-compatible APIs', for an account that cannot pay. */
const OPENAI_ACCOUNT: ReadonlySet<string> = new Set([
  "insufficient_quota",
  "billing_not_active",
  "exceeded_current_quota_error",
]);

/** Anthropic's words, then xAI's, for an account that cannot pay (`refusesAccount`). */
const ACCOUNT_WORDS =
  /^(?:Your credit balance is too low to access the Anthropic API|You have reached your specified API usage limits|Your team \S+ has either used all available credits|Your newly created teams? doesn't have any credits)/;

/**
 * A 404 that is the route's, not the caller's: it names the model or deployment the route sends
 * (OpenAI's `model_not_found` and its words, which vLLM shares, "The model `gpt-4o` does not
 * exist…"; Azure's `DeploymentNotFound`; Anthropic's `not_found_error` "model: claude-…";
 * Google's `NOT_FOUND` on "models/gemini-9…" or Vertex AI's "…/publishers/google/models/…";
 * Ollama's `model "llama9" not found`; Bedrock's ResourceNotFoundException, the caller naming no
 * resource there). A 404 in an API's words about anything else is the caller's: OpenAI's "Item
 * with id 'rs_…' not found" (an item of another organization, or not stored).
 */
function namesRoute({ type, code, message }: UpstreamSaid): boolean {
  if (code === "model_not_found" || code === "DeploymentNotFound") return true;
  if (message === undefined) return false;
  if (type === "not_found_error") return namesAnthropicModel(message);
  return MODEL_UNKNOWN.test(message);
}

const MODEL_UNKNOWN =
  /^The model `[^`]*` does not exist|\bmodels\/[\w.-]+|^model ["'][^"']*["'] not found|^ResourceNotFoundException:/;

/**
 * Azure OpenAI's 400 for a deployment whose model does not serve the operation called ("The
 * chatCompletion operation does not work with the specified model, text-embedding-3-small. Please
 * choose different model and try again."): a chat route named an embedding deployment, or a model
 * Azure serves only through its Responses API — or the caller asked an operation of a chat
 * deployment that it does not serve ("The completion operation does not work with the specified
 * model, gpt-4o.": a legacy /v1/completions client; embeddings). Which, the code does not say.
 */
const OPERATION_NOT_SUPPORTED = "OperationNotSupported";

/**
 * Azure OpenAI's 400 `BadRequest` refusing the provider's `api_version` (the `?api-version=` of its
 * calls): one Azure has retired, "API version not supported", or one older than the deployment's
 * model takes, "Model {modelName} is enabled only for api versions 2024-12-01-preview and later"
 * (its placeholder sent unfilled). A `route` fault: the route's configuration, which refuses every
 * call so until the operator changes it, not the caller's request (whose 400 would tell it to fix
 * what it sent).
 */
export const refusesApiVersion = (message: string | undefined): boolean =>
  message !== undefined && API_VERSION_REFUSED.test(message);

const BAD_REQUEST = "BadRequest";
const API_VERSION_REFUSED =
  /^API version not supported$|^Model \S+ is enabled only for api versions \S+ and later/;

/**
 * A 404 no API answered: an HTML page or nothing, or a self-hosted server's own (`NO_SUCH_PATH`);
 * or an API's own words for a path it has none for: OpenAI's and Groq's `unknown_url` ("Unknown
 * request URL: POST /openai/v1/completions. Please check the URL for typos…", what a legacy
 * completions call gets from Groq, which serves chat alone), OpenAI's older "Invalid URL (POST
 * /v1/…)" with no code. Never the caller's: the gateway chose the path.
 */
const noSuchPath = ({ code, message, noErrorBody }: UpstreamSaid): boolean =>
  noErrorBody === true || code === UNKNOWN_URL || (message !== undefined && NO_SUCH_PATH.test(message));

const UNKNOWN_URL = "unknown_url";

/**
 * The servers' words for a path they have no route for, which is what a wrong `base_url` reaches
 * (a missing or doubled `/v1`): vLLM's and every FastAPI server's bare `{"detail":"Not Found"}`,
 * llama.cpp's `{"error":{"message":"File Not Found",…}}`, LM Studio's "Unexpected endpoint or
 * method. (POST /chat/completions)". The same words answer an operation the server lacks (a
 * chat-only server asked for `/v1/completions`), which the route cannot serve either: another
 * route may.
 */
const NO_SUCH_PATH =
  /^(?:Not Found|File Not Found)$|^Unexpected endpoint or method\.|^Invalid URL \([A-Z]+ \/[^)]*\)$/;

/** OpenAI's wording for a request over its per-minute (or per-day) token limit on its own. */
const TOO_LARGE_FOR_TIER = /^Request too large for .+ on tokens per (min|day)\b/;
/**
 * A day's limit reached, in the vendors' own words: OpenAI's and Groq's "… on requests per day
 * (RPD): Limit …" ("tokens per day (TPD)"), Bedrock's "Too many tokens per day" (after its
 * exception's name: ServiceQuotaExceededException, or ThrottlingException as Bedrock says it over
 * HTTP too, a stream's `throttlingException`), OpenRouter's free models' "Rate limit exceeded:
 * free-models-per-day. …" (its reset only in the body's metadata). Not any "per day": "60 requests
 * per minute (you have 10000 requests per day left)" is a minute's.
 */
const PER_DAY =
  /\bon (?:tokens|requests) per day \((?:TPD|RPD)\)|^(?:(?:ServiceQuotaExceeded|[Tt]hrottling)Exception: )?Too many (?:tokens|requests) per day\b|^Rate limit exceeded: free-models-per-day\b/;

/**
 * A day's quota by its id, as Google names its quotas: `GenerateRequestsPerDayPerProjectPerModel-FreeTier`,
 * `GenerateContentInputTokensPerModelPerDay-FreeTier`, Vertex AI's
 * `GenerateContentRequestsPerDayPerProjectPerBaseModel`; not `…PerMinutePerProjectPerRegion`.
 */
const PER_DAY_QUOTA = /PerDay(?![a-z])/;

/** Which rate limit a 429 is, by its words, its quotas and its wait: too large for the tier, spent for the day, or a throttle. */
function rateLimit({ message, statedWaitMs, quotaIds }: UpstreamSaid): UpstreamFault {
  // Whatever wait it states: Google's is its minute window's (see `daily`).
  if (quotaIds?.some((id) => PER_DAY_QUOTA.test(id))) return "daily";
  if (message === undefined) return "throttle";
  if (TOO_LARGE_FOR_TIER.test(message)) return "tier";
  const shortWait = statedWaitMs !== undefined && statedWaitMs <= SDK_LONGEST_WAIT_MS;
  return !shortWait && PER_DAY.test(message) ? "daily" : "throttle";
}

/**
 * What a rate limit that no wait on the same route ends (`tier`, `daily`) adds to its failure: the
 * route is not sent the call again. A tier's is the request's own size (smaller calls are served):
 * no breaker counts it. A day's quota refuses every call, as a spent account does: the breaker
 * counts it (routing/try-route.ts).
 */
export const notThisRouteAgain = (fault: UpstreamFault) =>
  fault === "tier" ? TOO_LARGE : fault === "daily" ? SPENT : undefined;

const TOO_LARGE = { sameRouteAgain: false, countsAgainstRoute: false } as const;
const SPENT = { sameRouteAgain: false } as const;
