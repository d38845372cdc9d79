/**
 * Request and token counters per subject over a sliding window (a minute for rpm/tpm).
 *
 * Synchronous by design: admission sits on every request and must not wait on a network
 * round-trip. A Redis-backed store (several nodes) keeps these local counters and
 * reconciles with Redis in the background, trading a bounded overshoot across nodes for
 * zero added latency; a single node is exact.
 */
export interface CounterStore {
  /**
   * Counts one request unless `limit` are already counted in the window ending at `now`.
   * Returns 0 when counted, else the milliseconds until a slot frees.
   */
  takeRequest(subject: string, limit: number, now: number): number;
  /** Requests counted in the window ending at `now`. */
  requestsUsed(subject: string, now: number): number;
  /** Milliseconds until no counted request remains in the window (OpenAI's "reset"). */
  requestsResetMs(subject: string, now: number): number;
  addTokens(subject: string, tokens: number, now: number): void;
  /** Tokens counted in the window ending at `now`. */
  tokensUsed(subject: string, now: number): number;
  /** Milliseconds until usage falls below `limit` (0 when it already is). */
  tokensFreeInMs(subject: string, limit: number, now: number): number;
  /** Milliseconds until no counted tokens remain in the window. */
  tokensResetMs(subject: string, now: number): number;
}
