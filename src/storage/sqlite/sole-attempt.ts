import type { AuditAttempt } from "../../audit/audit-attempt.ts";

/** Longer texts are cut when interned (audit-inserter.ts): a row could not give them back whole. */
export const MAX_STRING = 512;

/**
 * The attempt most requests make, and the only one: committed at once on the row's own route and
 * upstream model. Its JSON text (~120 bytes) was half of a row's bytes and repeated what the row
 * holds already; SQLite keeps only its duration (`attempt_ms`, audit migration 6), so the audit
 * thread neither stringifies it nor writes it (docs/BENCHMARKS-HISTORY.md, "Session 13: the audit
 * thread"). Every other list (retries, failover, a failed or cut attempt) stays JSON text in
 * `attempts`. Returns the duration, or null when a row's attempts are not that one.
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
    only.upstreamModel === upstreamModel &&
    only.route.length <= MAX_STRING &&
    only.upstreamModel.length <= MAX_STRING
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
