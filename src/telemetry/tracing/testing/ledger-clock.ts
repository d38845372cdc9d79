/**
 * A stand-in ledger's monotonic readings (RequestLedger's `startedMs` and `finishedMs`), which
 * time its spans (batch-request-trace.ts `wallTime`): arrived now, ended `lastsMs` later, so that
 * the attempts a test makes within it lie within its span.
 */
export function ledgerClock(lastsMs = 1000): { startedMs: number; finishedMs: number } {
  const startedMs = performance.now();
  return { startedMs, finishedMs: startedMs + lastsMs };
}
