import { type KeyEndReason, type KeySession, type KeySessions, keyEndedError } from "../auth/key-sessions.ts";
import type { Principal } from "../auth/principal.ts";
import type { AbortFollower, AbortFollowers } from "../core/abort-followers.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { OpenRequest, type Shutdown } from "./shutdown.ts";

/**
 * One request's abort: a single object that every reason to end the request aborts directly
 * — the client leaving (the server request's signal), a stop's drain deadline, a revoke or expiry
 * of the caller's key — and that every layer below (router, attempts, relay) listens to. The
 * first reason wins. Before, each reason was its own controller linked into the next (three
 * controllers and four listeners a request); this is none, and a controller only when a real
 * signal is asked for (the attempts below follow this object itself).
 *
 * The client's signal is looked at, not listened to: the open requests' poll (http/shutdown.ts,
 * every `CLIENT_POLL_MS`) asks each request, and Bun marks the signal aborted when the client
 * leaves whether or not anything listens. A listener cost ~0.2 µs a request to add and remove,
 * and Bun-internal handles that later young collections visit (docs/BENCHMARKS-HISTORY.md,
 * session 13). A client that left before the request was made ends it at once; a stream whose
 * client leaves is cancelled at once by its response body (http/sse-response.ts), whose end
 * releases this object, and `release` looks at the client once more so that what follows here
 * (a kept-alive stream's dispatch) still hears it.
 *
 * Not `AbortSignal.any`: in Bun 1.4 a signal from `AbortSignal.any` that has an abort listener
 * stays alive as long as its sources might still abort — a server request's signal does, for as
 * long as Bun keeps the request — so every request's composite signal, its listeners and what
 * they hold were kept (about 1 KB a request, RSS that never settled).
 */
export class RequestAbort extends OpenRequest implements AbortFollowers, KeySession {
  private shutdown: Shutdown | undefined;
  private sessions: KeySessions | undefined;
  private keyId: string | null = null;
  /** How the caller signed in: what its credential's end is called (a key's, or a token's). */
  private credential: Principal["via"] = "key";

  /** Made only when someone asks for `signal` (a backoff's sleep): the attempts follow this object. */
  private controller: AbortController | undefined;
  aborted = false;
  reason: unknown = undefined;
  /** The attempt under way follows here (see core/abort-followers.ts); rarely more than one. */
  private follower: AbortFollower | undefined;
  private followers: AbortFollower[] | undefined;

  constructor(private readonly client: AbortSignal) {
    super();
    if (client.aborted) {
      this.aborted = true;
      this.reason = client.reason;
    }
  }

  /** A signal that aborts with the request, made on first read (aborted already if the request has). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** The open requests' poll (http/shutdown.ts): ends the request if its client has left. */
  override clientPolled(): void {
    if (!this.aborted && this.client.aborted) this.abort(this.client.reason);
  }

  /** Ends the request with `reason` (ignored when it has ended already). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const follower = this.follower;
    const followers = this.followers;
    this.follower = undefined;
    this.followers = undefined;
    follower?.handleEvent();
    if (followers) for (const listener of followers) listener.handleEvent();
  }

  /** A stop's drain deadline passed (this request is its own entry in the shutdown's list). */
  drainEnded(reason: GatewayError): void {
    this.abort(reason);
  }

  /** The caller's key was revoked or expired, or its token expired (this request is its own session under it). */
  keyEnded(reason: KeyEndReason): void {
    this.abort(keyEndedError(reason, this.credential));
  }

  follow(follower: AbortFollower): void {
    if (this.follower === undefined) this.follower = follower;
    else if (this.followers) this.followers.push(follower);
    else this.followers = [follower];
  }

  unfollow(follower: AbortFollower): void {
    if (this.follower === follower) this.follower = undefined;
    else if (this.followers) {
      const at = this.followers.indexOf(follower);
      if (at >= 0) this.followers.splice(at, 1);
    }
  }

  /**
   * Also ends the request when a stop's drain deadline passes (503) and when the caller's key is
   * revoked or expires (401). Registered as this object itself (`drainEnded`, `keyEnded`; the
   * open requests' links are its own, `OpenRequest`), released by `release`: no closure or entry
   * per registration.
   */
  watch(shutdown: Shutdown | undefined, sessions: KeySessions | undefined, principal: Principal): void {
    if (shutdown) this.opened(shutdown);
    const keyId = principal.keyId;
    // A JWT (no key id) is held too when it expires: its stream ends then, as a key's does.
    if (sessions && (keyId !== null || principal.expiresAt !== undefined)) {
      // Before `enter`, which ends a request whose credential has expired already at once.
      this.credential = principal.via;
      sessions.enter(keyId, this, principal.expiresAt ?? null);
      this.sessions = sessions;
      this.keyId = keyId;
    }
  }

  /**
   * Among the open requests from now (a stop's drain deadline and the client poll end it): a model
   * call enters before its body is read, which follows this object (http/read-json-body.ts), and
   * watches its key later (`watch` with no shutdown).
   */
  opened(shutdown: Shutdown): void {
    shutdown.enter(this);
    this.shutdown = shutdown;
  }

  /**
   * Leaves what `watch` registered (call when the request has ended). A client that has left by
   * now still ends the request first: a stream's cancel releases it before any poll came by.
   */
  release(): void {
    this.clientPolled();
    this.shutdown?.leave(this);
    this.sessions?.leave(this.keyId, this);
  }
}
