/**
 * Whoever aborts a signal and can tell its followers directly: a follower registered here is
 * told when the signal aborts, without an event listener on it. Bun's `addEventListener` and
 * `removeEventListener` on an AbortSignal were each about 1 % of a request's CPU profile; the
 * request's abort (http/request-abort.ts) tells the attempt under it (routing/attempt.ts) this
 * way. Followers run after the signal has aborted, in the order they were added.
 */
export interface AbortFollowers {
  /** Whether it has aborted (then tell a new follower yourself), and why: as on a signal. */
  readonly aborted: boolean;
  readonly reason: unknown;
  /** A signal that aborts with it, for whoever needs a real one (a backoff's sleep). */
  readonly signal: AbortSignal;
  follow(follower: AbortFollower): void;
  unfollow(follower: AbortFollower): void;
}

/**
 * A caller's end as the layers below hear it: a plain signal, or (the front door's request abort)
 * whoever aborts one and tells its followers directly, with no signal made unless one is asked for.
 */
export type AbortSource = AbortSignal | AbortFollowers;

/** The source as a signal (made on first read for followers). */
export const signalOf = (source: AbortSource): AbortSignal =>
  source instanceof AbortSignal ? source : source.signal;

/**
 * Told once the signal has aborted. The shape of an event listener object, so the same object
 * can listen on the signal itself where no `AbortFollowers` is at hand (no closure either way).
 */
export interface AbortFollower {
  handleEvent(): void;
}
