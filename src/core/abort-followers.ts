/**
 * Whoever aborts a signal and can tell its followers directly: a follower registered here is
 * told when the signal aborts, without an event listener on it. Bun's `addEventListener` and
 * `removeEventListener` on an AbortSignal were each about 1 % of a request's CPU profile; the
 * request's abort (http/request-abort.ts) tells the attempt under it (routing/attempt.ts) this
 * way. Followers run after the signal has aborted, in the order they were added.
 */
export interface AbortFollowers {
  /** The signal whose abort `follower` follows; when it has aborted already, tell `follower` yourself. */
  readonly signal: AbortSignal;
  follow(follower: AbortFollower): void;
  unfollow(follower: AbortFollower): void;
}

/**
 * Told once the signal has aborted. The shape of an event listener object, so the same object
 * can listen on the signal itself where no `AbortFollowers` is at hand (no closure either way).
 */
export interface AbortFollower {
  handleEvent(): void;
}
