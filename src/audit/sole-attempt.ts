import type { AuditAttempt } from "./audit-attempt.ts";

/**
 * The attempt most requests make, and the only one: committed at once on the row's own route and
 * upstream model. Its JSON (~120 bytes) repeated what the row holds already and was a third of a
 * row's text: the audit writer encodes it as its duration alone (audit-row-bytes.ts), and SQLite
 * keeps only that (`attempt_ms`, audit migration 6), so neither the event loop nor the audit
 * thread stringifies it, and the thread neither parses nor writes it (docs/BENCHMARKS-HISTORY.md,
 * "Session 13: the audit thread"). Every other list (retries, failover, a failed or cut attempt)
 * stays a list. Returns the duration, or null when the attempts are not that one.
 */
export function soleAttemptMs(
  attempts: readonly AuditAttempt[] | null | undefined,
  route: string | null,
  upstreamModel: string | null,
): number | null {
  if (attempts?.length !== 1) return null;
  const only = attempts[0] as AuditAttempt;
  return only.outcome === "ok" &&
    only.status === null &&
    only.errorClass === null &&
    only.route === route &&
    only.upstreamModel === upstreamModel
    ? only.durationMs
    : null;
}

/** `soleAttemptMs`'s attempt again, from the row's route and upstream model. */
export function soleAttempt(
  route: string | null,
  upstreamModel: string | null,
  durationMs: number,
): AuditAttempt[] {
  // The keys in the schema's order, as `decodeAttempts` returns them: exports print them in it.
  return [
    {
      route: route ?? "",
      upstreamModel: upstreamModel ?? "",
      outcome: "ok",
      status: null,
      errorClass: null,
      durationMs,
    },
  ];
}
