import { z } from "zod";

/**
 * Google's error body (`google.rpc.Status` in JSON), as the Gemini API and Vertex AI send it, as
 * a reply and as a stream event: a numeric `code`, a canonical `status` name and `details`.
 * `status` is what tells it from OpenAI's `{"error":{message}}`, which it otherwise resembles.
 */
export const googleErrorBody = z.looseObject({
  error: z.looseObject({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string(),
    details: z.array(z.looseObject({ "@type": z.string().optional() })).optional(),
  }),
});

/** What the gateway needs of a Google error. */
export interface GoogleError {
  /** The canonical code's name: `RESOURCE_EXHAUSTED`, `INVALID_ARGUMENT`, … */
  status: string;
  /** The HTTP status Google sent it with, from the body (the reply's own may be missing, mid-stream). */
  code: number | undefined;
  message: string | undefined;
  /** ErrorInfo's `reason` (`API_KEY_INVALID`), when there is one. */
  reason: string | undefined;
  /** RetryInfo's `retryDelay` in whole seconds, rounded up. */
  retryAfter: string | undefined;
  /**
   * The quotas it says were exceeded: QuotaFailure's `quotaId`s (the Gemini API's,
   * `GenerateRequestsPerDayPerProjectPerModel-FreeTier`) and ErrorInfo's `metadata.quota_limit`
   * (Google Cloud's, Vertex AI's, `GenerateContentRequestsPerDayPerProjectPerBaseModel`): a day's
   * is spent for the day (core/upstream-fault.ts). Empty when it names none.
   */
  quotaIds: readonly string[];
}

const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";
const RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";
const QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure";
/** One QuotaFailure violation, of which only the quota's id is read. */
const quotaViolation = z.looseObject({ quotaId: z.string() });
/** ErrorInfo's quota, as Google Cloud names it (`reason: RATE_LIMIT_EXCEEDED`): `metadata.quota_limit`. */
const errorInfoQuota = z.looseObject({ metadata: z.looseObject({ quota_limit: z.string() }) });
/** A protobuf Duration in JSON: seconds with an `s`, fractions allowed ("12s", "0.5s"). */
const DURATION = /^(\d+(?:\.\d+)?)s$/;

/**
 * Reads a Google error body, or undefined when it is not one. `streamGenerateContent` without
 * `alt=sse` answers a JSON array of responses, and its failure comes the same way, the error
 * object as the array's one element (`[{"error":{…}}]`): read as the object it wraps.
 */
export function readGoogleError(body: unknown): GoogleError | undefined {
  const parsed = googleErrorBody.safeParse(Array.isArray(body) && body.length === 1 ? body[0] : body);
  if (!parsed.success) return undefined;
  const { code, message, status, details = [] } = parsed.data.error;
  let reason: string | undefined;
  let retryAfter: string | undefined;
  const quotaIds: string[] = [];
  for (const detail of details) {
    if (detail["@type"] === ERROR_INFO) {
      if (typeof detail.reason === "string") reason = detail.reason;
      const limit = errorInfoQuota.safeParse(detail).data?.metadata.quota_limit;
      if (limit !== undefined) quotaIds.push(limit);
    }
    const delay = detail["@type"] === RETRY_INFO ? DURATION.exec(String(detail.retryDelay)) : null;
    if (delay?.[1]) retryAfter = String(Math.ceil(Number(delay[1])));
    if (detail["@type"] === QUOTA_FAILURE) quotaIds.push(...violatedQuotas(detail.violations));
  }
  return { status, code, message, reason, retryAfter, quotaIds };
}

/** QuotaFailure's quota ids, each violation read on its own: a malformed one costs the others nothing. */
function violatedQuotas(violations: unknown): string[] {
  if (!Array.isArray(violations)) return [];
  return violations.flatMap((violation) => {
    const quotaId = quotaViolation.safeParse(violation).data?.quotaId;
    return quotaId === undefined ? [] : [quotaId];
  });
}

/**
 * Refusals of the gateway's own credentials: a bad or expired API key is Gemini's
 * `INVALID_ARGUMENT` with this reason, not the caller's 400.
 */
const CREDENTIAL_REASONS = new Set(["API_KEY_INVALID", "API_KEY_EXPIRED", "ACCESS_TOKEN_EXPIRED"]);

/**
 * Google's refusal of where or how the gateway is deployed, not of the request: a
 * `FAILED_PRECONDITION` that says the location is not served ("User location is not supported for
 * the API use.") or that the project must enable billing ("Gemini API free tier is not available in
 * your country. Please enable billing on your project in Google AI Studio."), or ErrorInfo's
 * `BILLING_DISABLED`. The gateway's fault, so not the caller's 400: a 502 naming the provider,
 * retryable, so the model's other routes may serve. Any other `FAILED_PRECONDITION` is about the
 * request (a `fileData` file "is not in an ACTIVE state"): the caller's 400, in Google's words.
 */
export const refusesDeployment = (error: GoogleError): boolean =>
  error.status === "FAILED_PRECONDITION" &&
  (error.reason === "BILLING_DISABLED" ||
    (error.message !== undefined && DEPLOYMENT_REFUSAL.test(error.message)));

/** Google's documented words for the location and free-tier refusals. */
const DEPLOYMENT_REFUSAL = /user location is not supported|free tier is not available in your country/i;

/**
 * The HTTP status a Google error stands for, by its canonical code (google/rpc/code.proto), so
 * the failure is judged as any upstream's: a refused credential is a 401 (the gateway's, so a
 * 502 for the caller), an exhausted quota a 429, an unknown name the status it came with.
 */
export function googleHttpStatus(error: GoogleError, received: number): number {
  if (error.reason && CREDENTIAL_REASONS.has(error.reason)) return 401;
  return HTTP_STATUS[error.status] ?? error.code ?? received;
}

const HTTP_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 500,
  UNKNOWN: 500,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};
