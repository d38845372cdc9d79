/** Why what a web UI session opened is ended: it signed out or no longer admits its user, or it expired. */
export type SessionEndReason = "session ended" | "session expired";

/** Timers are injected so a test can expire a session without waiting. */
export type SetTimer = (run: () => void, ms: number) => { cancel(): void };

/** One session's open streams, and the timer for the session's expiry. */
interface HeldSession {
  readonly ends: Set<(reason: SessionEndReason) => void>;
  at: number | null;
  timer: { cancel(): void } | undefined;
}

/**
 * What web UI sessions opened (an event stream), by the session's id hash: a session's end
 * (sign-out, its user no longer admitted: `end`) or its expiry ends them, whatever its key does
 * (key-sessions.ts holds them under the key as well). Few and long-lived, unlike a key's
 * requests, so a `Set` per session does.
 */
export class SessionStreams {
  private readonly open = new Map<string, HeldSession>();

  constructor(
    private readonly now: () => number,
    private readonly setTimer: SetTimer,
  ) {}

  /** Holds `end` under the session until its expiry (`expiresAt`, none when null) or `end`; returns its release. */
  hold(idHash: string, end: (reason: SessionEndReason) => void, expiresAt: number | null): () => void {
    let held = this.open.get(idHash);
    if (held === undefined) {
      held = { ends: new Set(), at: null, timer: undefined };
      this.open.set(idHash, held);
    }
    held.ends.add(end);
    const session = held;
    if (expiresAt !== null) this.expireAt(idHash, session, expiresAt);
    return () => {
      session.ends.delete(end);
      if (session.ends.size > 0 || this.open.get(idHash) !== session) return;
      session.timer?.cancel();
      this.open.delete(idHash);
    };
  }

  /** Ends what the session opened: it signed out, or no longer admits its user. */
  end(idHash: string): void {
    this.endAll(idHash, "session ended");
  }

  /**
   * Brings the session's expiry forward to `at` (a reload shortened `session_ttl`): what it opened
   * ends then. A later `at` changes nothing: a session's end, once set, is never put off.
   */
  endsBy(idHash: string, at: number): void {
    const session = this.open.get(idHash);
    if (session !== undefined && (session.at === null || at < session.at)) this.expireAt(idHash, session, at);
  }

  /** The sessions (by id hash) something is open under. */
  sessions(): string[] {
    return [...this.open.keys()];
  }

  /** Forgets every session and stops every timer (gateway stop). */
  close(): void {
    for (const session of this.open.values()) session.timer?.cancel();
    this.open.clear();
  }

  private expireAt(idHash: string, session: HeldSession, at: number): void {
    if (session.at === at) return;
    session.timer?.cancel();
    session.at = at;
    const delay = at - this.now();
    if (delay <= 0) {
      this.endAll(idHash, "session expired");
      return;
    }
    session.timer = this.setTimer(() => {
      if (this.open.get(idHash) !== session || session.at !== at) return;
      // A timer may fire a little early on a loaded machine; check the clock, not the timer.
      session.at = null;
      this.expireAt(idHash, session, at);
    }, delay);
  }

  private endAll(idHash: string, reason: SessionEndReason): void {
    const session = this.open.get(idHash);
    if (session === undefined) return;
    this.open.delete(idHash);
    session.timer?.cancel();
    for (const end of session.ends) end(reason);
  }
}
