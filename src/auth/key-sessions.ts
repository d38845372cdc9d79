import { GatewayError } from "../core/gateway-error.ts";
import { KeyTable } from "../core/key-table.ts";
import { timerDelay } from "../core/timer-delay.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { Principal } from "./principal.ts";
import { type SessionEndReason, SessionStreams, type SetTimer } from "./session-streams.ts";

/** Why a key's live sessions are ended. */
export type KeyEndReason = "revoked" | "expired";

/** Why a caller's live sessions are ended: its key's change, or its web UI session's end. */
export type EndReason = KeyEndReason | SessionEndReason;

/**
 * What a request still running under a credential that was just revoked, expired or ended ends
 * with, in the words of how its caller signed in (`credential`: the principal's `via`).
 */
export const keyEndedError = (reason: EndReason, credential: Principal["via"]) =>
  new GatewayError({ status: 401, code: "unauthorized", message: endedMessage(reason, credential) });

function endedMessage(reason: EndReason, credential: Principal["via"]): string {
  if (reason !== "revoked" && reason !== "expired") return `the web UI ${reason} during the request`;
  if (credential !== "jwt" && reason === "expired")
    return `the API key expired during the request (${KEY_EXPIRY})`;
  return `${credentialEnded(reason, credential)} during the request`;
}

/**
 * Why a key expired, in words: the gateway does not tell its own expiry from the end of the grace
 * window a rotation left it (key-rotation.ts bounds the old key's expiry), so both are said.
 */
export const KEY_EXPIRY = "its expiry passed, or the grace after a rotation ended";

/**
 * How a caller's credential ended, in the words of how it signed in: what a connection it held
 * open (a Responses WebSocket) is closed saying. Nothing revokes a JWT: it ends at its `exp` (plus
 * the clock tolerance), and its caller has no API key.
 */
export const credentialEnded = (reason: KeyEndReason, credential: Principal["via"]): string =>
  credential === "jwt"
    ? "the token expired"
    : reason === "expired"
      ? `the API key expired (${KEY_EXPIRY})`
      : `the API key was ${reason}`;

/** Ends one live session under a key: a worker connection, a stream being relayed. Called at most once. */
export type EndSession = (reason: KeyEndReason) => void;

/** Ends what a caller opened (`holdFor`), a web UI session's included. Called at most once. */
export type EndCallerSession = (reason: EndReason) => void;

/**
 * A live session as `enter` holds it: an object told when its key ends (the front door's request
 * abort is one, so a request registers itself, not a closure made for it).
 */
export interface KeySession {
  keyEnded(reason: KeyEndReason): void;
  /**
   * The key's model allow-list, told at each change of the key that does not end it (a worker
   * connection routes only the models it permits; a request, admitted already, has none).
   */
  keyModels?(models: readonly string[]): void;
}

export interface KeySessionsOptions {
  now?: () => number;
  /** Timers are injected so a test can expire a key without waiting. */
  setTimer?: SetTimer;
}

const realTimer = (run: () => void, ms: number) => {
  // setTimeout's delay is a 32-bit signed integer; a longer one would fire at once.
  const timer = setTimeout(run, timerDelay(ms));
  timer.unref?.();
  return { cancel: () => clearTimeout(timer) };
};

/**
 * What is open under each API key right now. Keys are checked when a connection or request
 * starts; this makes a revoke, or the end of a rotation's grace window, reach what is already
 * open: the key's worker connections close and its streams end with an error event, at once
 * on the node that sees the change (this node's admin calls at once, another process's within
 * the key cache's refresh interval).
 */
export class KeySessions {
  private readonly now: () => number;
  private readonly setTimer: NonNullable<KeySessionsOptions["setTimer"]>;
  /**
   * A key's one session as itself, a list only while it has several: a key with one request in
   * flight at a time (a client at c=1) makes no list per request. A list, not a `Set`: a key busy
   * for long keeps its Set long-lived, and a long-lived Set that sessions are added to and
   * deleted from keeps the deleted ones (each request's abort, and what it holds) alive through
   * every young collection until the next full one (JavaScriptCore in Bun 1.4.5;
   * docs/BENCHMARKS-HISTORY.md, session 11's young collections). A list's slot is written over.
   * By key in KeyTables, not Maps, for the same reason: a key whose last request ends leaves them
   * (at every request, for a client one request at a time).
   */
  private readonly open = new KeyTable<KeySession | KeySession[]>();
  private readonly expiries = new KeyTable<{ at: number; timer: { cancel(): void } }>();
  /**
   * Sessions of a credential with no key behind it (a JWT): nothing can revoke it, but it expires,
   * each at its own time (two tokens of one subject end apart), so each has its own timer.
   */
  private readonly unkeyed = new Map<KeySession, { cancel(): void }>();
  /** What web UI sessions opened, ended with the session whatever its key does (session-streams.ts). */
  private readonly webSessions: SessionStreams;
  /** Each key's models as its last change told them (`keyChanged`), for `changedModels`. */
  private readonly toldModels = new Map<string, readonly string[]>();

  constructor(options: KeySessionsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? realTimer;
    this.webSessions = new SessionStreams(this.now, this.setTimer);
  }

  /**
   * Registers a session under a key and returns its release. `expiresAt` is the credential's
   * expiry as the caller saw it at admission; a credential without a key (`keyId` null: a JWT) is
   * held only until its expiry, and not at all without one.
   */
  hold(keyId: string | null, end: EndSession, expiresAt: number | null = null): () => void {
    if (keyId === null && expiresAt === null) return () => {};
    const session: KeySession = { keyEnded: end };
    this.enter(keyId, session, expiresAt);
    return () => this.leave(keyId, session);
  }

  /**
   * As `hold`, for a caller that is its own session and releases it with `leave`: no closure and
   * no release closure (the front door holds every request so).
   */
  enter(keyId: string | null, session: KeySession, expiresAt: number | null = null): void {
    if (keyId === null) {
      if (expiresAt !== null) this.expireAlone(session, expiresAt);
      return;
    }
    const held = this.open.get(keyId);
    if (held === undefined) this.open.set(keyId, session);
    else if (Array.isArray(held)) {
      // Stored at the end, not `push`ed: JSC's optimised `enter` exited at the `push` call with
      // InadequateCoverage on nearly every request of a busy key in some gateway runs (6,000–10,641
      // exits in an 8 s window, recompiled 7–10 times), never at a store. A `push` that ran only in
      // the LLInt is compiled as never run; a store's profile is the LLInt's too
      // (docs/BENCHMARKS-HISTORY.md, session 17).
      if (!held.includes(session)) held[held.length] = session;
    } else if (held !== session) this.open.set(keyId, [held, session]);
    if (expiresAt !== null) this.scheduleExpiry(keyId, expiresAt);
  }

  /**
   * Holds a request under its caller's key: `end` is called with a 401 when the key is revoked
   * or expires (before the first byte that is the answer, after it the stream's closing error
   * event). Returns the release, for when the request has ended.
   */
  watch(principal: Principal, end: (reason: GatewayError) => void): () => void {
    return this.holdFor(principal, (reason) => end(keyEndedError(reason, principal.via)));
  }

  /**
   * Holds what a caller opened until its credential ends. A web UI session's principal
   * (`sessionId`) is held under its session, until the session's expiry (`expiresAt`: the sooner
   * of `session_ttl` and its key's) or `endWebSession`, and under its key, if it has one, for the
   * key's revoke and the key's own expiry as the key changes — not at the session's expiry, which
   * would end the key's other callers' sessions with it. Any other, as `hold`.
   */
  holdFor(principal: Principal, end: EndCallerSession): () => void {
    const expiresAt = principal.expiresAt ?? null;
    if (principal.sessionId === undefined) return this.hold(principal.keyId, end, expiresAt);
    // Held twice, ended once: whichever ends first lets go of the other.
    let ended = false;
    let releaseSession: (() => void) | undefined;
    let releaseKey: (() => void) | undefined;
    const endOnce: EndCallerSession = (reason) => {
      if (ended) return;
      ended = true;
      releaseSession?.();
      releaseKey?.();
      end(reason);
    };
    releaseSession = this.webSessions.hold(principal.sessionId, endOnce, expiresAt);
    if (!ended && principal.keyId !== null) releaseKey = this.hold(principal.keyId, endOnce);
    return () => {
      releaseSession?.();
      releaseKey?.();
    };
  }

  /** Ends what a web UI session opened (`holdFor`): it signed out, or no longer admits its user. */
  endWebSession(sessionId: string): void {
    this.webSessions.end(sessionId);
  }

  /** Ends what a web UI session opened at `at`, if sooner than its end as held (session_ttl shortened). */
  webSessionEndsBy(sessionId: string, at: number): void {
    this.webSessions.endsBy(sessionId, at);
  }

  /** The web UI sessions something is open under on this node (re-checked when the config changes). */
  openWebSessions(): string[] {
    return this.webSessions.sessions();
  }

  /** Sessions open under a key (for tests and status). */
  count(keyId: string): number {
    const held = this.open.get(keyId);
    return held === undefined ? 0 : Array.isArray(held) ? held.length : 1;
  }

  /**
   * Wire to every key change (KeyCache's change listener): a revoke or new expiry acts here, and
   * the key's models reach the sessions that serve by them (a worker connection).
   */
  keyChanged(record: KeyRecord): void {
    if (record.revokedAt !== null) {
      this.toldModels.delete(record.id);
      this.endAll(record.id, "revoked");
      return;
    }
    this.toldModels.set(record.id, record.models);
    if (record.expiresAt !== null) this.scheduleExpiry(record.id, record.expiresAt);
    else {
      // The expiry was lifted (an admin changed the key's limits): what is open no longer ends then.
      this.expiries.get(record.id)?.timer.cancel();
      this.expiries.delete(record.id);
    }
    const held = this.open.get(record.id);
    // A copy: a session the new list permits nothing ends, and leaves the list meanwhile.
    if (Array.isArray(held)) for (const session of [...held]) session.keyModels?.(record.models);
    else held?.keyModels?.(record.models);
  }

  /**
   * The key's models as its last change told them (`keyChanged`), if one was told since this
   * process started: a worker connection admitted before that change and held (`enter`) after it
   * missed it, and reads it here.
   */
  changedModels(keyId: string): readonly string[] | undefined {
    return this.toldModels.get(keyId);
  }

  /** Ends every session and stops every timer (gateway stop). */
  close(): void {
    for (const { timer } of this.expiries.values()) timer.cancel();
    this.expiries.clear();
    this.open.clear();
    this.toldModels.clear();
    for (const timer of this.unkeyed.values()) timer.cancel();
    this.unkeyed.clear();
    this.webSessions.close();
  }

  /** Ends a keyless session at its credential's expiry (at once if that has passed). */
  private expireAlone(session: KeySession, at: number): void {
    this.unkeyed.get(session)?.cancel();
    const delay = at - this.now();
    if (delay <= 0) {
      this.unkeyed.delete(session);
      session.keyEnded("expired");
      return;
    }
    const timer = this.setTimer(() => {
      if (this.unkeyed.get(session) !== timer) return;
      // A timer may fire a little early on a loaded machine; check the clock, not the timer.
      if (this.now() < at) this.expireAlone(session, at);
      else {
        this.unkeyed.delete(session);
        session.keyEnded("expired");
      }
    }, delay);
    this.unkeyed.set(session, timer);
  }

  private scheduleExpiry(keyId: string, at: number): void {
    if (!this.open.has(keyId)) return;
    const known = this.expiries.get(keyId);
    if (known?.at === at) return;
    known?.timer.cancel();
    const delay = at - this.now();
    if (delay <= 0) {
      this.expiries.delete(keyId);
      this.endAll(keyId, "expired");
      return;
    }
    this.expiries.set(keyId, { at, timer: this.setTimer(() => this.fire(keyId, at), delay) });
  }

  private fire(keyId: string, at: number): void {
    if (this.expiries.get(keyId)?.at !== at) return;
    this.expiries.delete(keyId);
    // A timer may fire a little early on a loaded machine; check the clock, not the timer.
    if (this.now() < at) this.scheduleExpiry(keyId, at);
    else this.endAll(keyId, "expired");
  }

  private endAll(keyId: string, reason: KeyEndReason): void {
    const held = this.open.get(keyId);
    this.open.delete(keyId);
    this.expiries.get(keyId)?.timer.cancel();
    this.expiries.delete(keyId);
    if (Array.isArray(held)) for (const session of held) session.keyEnded(reason);
    else held?.keyEnded(reason);
  }

  /** Releases a session `enter` registered. */
  leave(keyId: string | null, session: KeySession): void {
    if (keyId === null) {
      this.unkeyed.get(session)?.cancel();
      this.unkeyed.delete(session);
      return;
    }
    const held = this.open.get(keyId);
    if (held === undefined) return;
    if (Array.isArray(held)) {
      // The last session takes the leaving one's slot (the order of a key's sessions is not kept).
      const at = held.indexOf(session);
      if (at < 0) return;
      const last = held.pop() as KeySession;
      if (at < held.length) held[at] = last;
      if (held.length > 0) return;
    } else if (held !== session) return;
    this.open.delete(keyId);
    this.expiries.get(keyId)?.timer.cancel();
    this.expiries.delete(keyId);
  }
}
