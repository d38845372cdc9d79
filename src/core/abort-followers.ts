/**
 * Whoever aborts a signal and can tell its followers directly: a plain callback registered here
 * runs when the signal aborts, without an event listener on it. Bun's `addEventListener` and
 * `removeEventListener` on an AbortSignal were each about 1 % of a request's CPU profile; the
 * request's abort (http/request-abort.ts) tells the attempt under it (routing/attempt.ts) this
 * way. Followers run after the signal has aborted, in the order they were added.
 */
export interface AbortFollowers {
  /** The signal whose abort `listener` follows; when it has aborted already, call `listener` yourself. */
  readonly signal: AbortSignal;
  follow(listener: () => void): void;
  unfollow(listener: () => void): void;
}
