import { z } from "zod";

/**
 * One upstream attempt of a request, as its audit record keeps it: retries on a route and
 * failover to the next route are each one entry, in the order they were tried.
 */
export const auditAttemptSchema = z.object({
  /** `provider:<name>` or `worker:<name>` (the worker that served it, once one was picked). */
  route: z.string(),
  upstreamModel: z.string(),
  /**
   * `ok`: the answer was committed and ended whole; `failed`: the router moved on (or gave up), or
   * the committed answer failed part way (a stream cut off); `cut`: the request ended first (the
   * client left).
   */
  outcome: z.enum(["ok", "failed", "cut"]),
  /** The upstream's HTTP status when it answered with an error, else the gateway's status for the failure; null when ok or cut. */
  status: z.number().int().nullable(),
  /** The GatewayError code of a failed attempt (`upstream_error`, `upstream_timeout`, ...). */
  errorClass: z.string().nullable(),
  /**
   * From the attempt's start until its verdict (committed or failed), in milliseconds; for a
   * committed answer that failed later, or was cut, until then.
   */
  durationMs: z.number(),
  /**
   * A failed attempt the upstream billed all the same (a Gemini turn that ended in failure, a
   * blocked prompt): its tokens and what they cost at this attempt's own route and model. The cost
   * is in the record's `costUsd`; the tokens are not in the record's, which are the answer's.
   */
  billed: z
    .object({ inputTokens: z.number().int(), outputTokens: z.number().int(), costUsd: z.number() })
    .optional(),
});

export type AuditAttempt = z.infer<typeof auditAttemptSchema>;

/** At most this many attempts are kept per record (the first ones); `retries` × routes is usually far below. */
export const MAX_AUDIT_ATTEMPTS = 16;

const storedAttempts = z.array(auditAttemptSchema).max(MAX_AUDIT_ATTEMPTS);

/** The attempts as one text column (both SQL stores keep them so); null when there were none. */
export function encodeAttempts(attempts: readonly AuditAttempt[] | null | undefined): string | null {
  return attempts && attempts.length > 0 ? JSON.stringify(attempts.slice(0, MAX_AUDIT_ATTEMPTS)) : null;
}

/** Reads the column back; a value that is not a list of attempts (never written by us) reads as none. */
export function decodeAttempts(text: string | null | undefined): AuditAttempt[] | undefined {
  if (text == null) return undefined;
  try {
    const parsed = storedAttempts.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
