import { errorText } from "../../audit/redact-body.ts";
import { describeError } from "../../core/describe-error.ts";
import { GatewayError } from "../../core/gateway-error.ts";

/**
 * What a request gets while the shared database cannot be reached (or does not answer in time).
 * The client is told no more; `cause` (redacted, one line: a connection URL's password too) goes to
 * the log lines that report it, so they name what the database said ("sorry, too many clients
 * already").
 */
export const storageUnavailable = (cause?: unknown) =>
  new GatewayError({
    status: 503,
    code: "storage_unavailable",
    message: "the database is unavailable; try again later",
    retryable: true,
    ...(cause === undefined ? {} : { cause, detail: errorText(causeText(cause), true) }),
  });

/**
 * A write PostgreSQL was sent and never answered, so it may have applied: not the 503 that says a
 * call did not happen. A 504 the gateway never retries; its log line says so, and why.
 */
export const storageOutcomeUnknown = (cause: unknown) =>
  new GatewayError({
    status: 504,
    code: "storage_outcome_unknown",
    message:
      "the database did not confirm the change, which may have been applied; check before trying again",
    cause,
    detail: errorText(causeText(cause), true),
  });

/** The error and what it wraps, as far down as causes go (a timeout names the cancelled statement's error). */
function causeText(error: unknown): string {
  const inner = error instanceof Error ? error.cause : undefined;
  const own = error instanceof Error ? error.message : describeError(error);
  return inner === undefined ? own : `${own}: ${causeText(inner)}`;
}

/**
 * SQLSTATE classes and codes that mean "the database cannot serve now", as opposed to one
 * statement or value it refuses: connection exceptions (08), insufficient resources (53),
 * operator intervention (57: shutdown, crash, a statement timeout), system errors (58),
 * and a read-only standby (25006).
 */
const UNAVAILABLE_STATES = [/^08/, /^53/, /^57/, /^58/, /^25006$/];

/** A refusal of the values themselves (data exception 22, integrity violation 23). */
const REJECTED_STATES = [/^22/, /^23/];

function field(error: unknown, name: "code" | "errno"): string | null {
  if (typeof error !== "object" || error === null || !(name in error)) return null;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === "string" ? value : null;
}

/** The SQLSTATE PostgreSQL answered with; null for a failure on the way to it (Bun's own). */
export const sqlStateOf = (error: unknown): string | null => field(error, "errno");

/** True when the error says the database (or the way to it) is down, not that a query is wrong. */
export function isPostgresUnavailable(error: unknown): boolean {
  const code = field(error, "code") ?? "";
  // Bun's own client errors: refused, closed, timed out, TLS, socket errors (ECONNREFUSED, …).
  if (/^ERR_POSTGRES_(CONNECTION|IDLE|LIFETIME|TLS|UNSUPPORTED_AUTH|SERVER_ERROR_CLOSED)/.test(code))
    return true;
  if (/^E[A-Z]+$/.test(code)) return true;
  const state = field(error, "errno") ?? "";
  return UNAVAILABLE_STATES.some((pattern) => pattern.test(state));
}

/** True when PostgreSQL refused a value, so retrying the same row can never succeed. */
export function isPostgresRejection(error: unknown): boolean {
  const state = field(error, "errno") ?? "";
  return REJECTED_STATES.some((pattern) => pattern.test(state));
}
