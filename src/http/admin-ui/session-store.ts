import type { Principal } from "../../auth/principal.ts";

/** One signed-in browser. The id lives only in an HttpOnly cookie; `csrf` is read by the page. */
export interface AdminSession {
  readonly id: string;
  readonly csrf: string;
  readonly principal: Principal;
  /** How the user signed in. */
  readonly method: "key" | "oidc";
  /** The admin key signed in with: the session ends when that key stops being active. */
  readonly keyId: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  ttlMs: () => number;
  now?: () => number;
  /** Sessions held at most; past it the oldest is ended (a flood of sign-ins cannot grow memory). */
  maxSessions?: number;
}

/** 256 random bits, base64url: unguessable session ids and CSRF tokens. */
export const randomToken = (): string =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

/**
 * Sessions of the web UI, held in this process's memory: a restart signs everyone out, and
 * behind a load balancer the admin UI needs sticky sessions (docs/ADMIN-UI.md).
 */
export class SessionStore {
  private readonly sessions = new Map<string, AdminSession>();
  private readonly now: () => number;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  create(principal: Principal, method: AdminSession["method"]): AdminSession {
    const createdAt = this.now();
    const session: AdminSession = {
      id: randomToken(),
      csrf: randomToken(),
      principal,
      method,
      keyId: method === "key" ? principal.keyId : null,
      createdAt,
      expiresAt: createdAt + this.options.ttlMs(),
    };
    const max = this.options.maxSessions ?? 10_000;
    while (this.sessions.size >= max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id; an expired one is ended on sight. */
  get(id: string): AdminSession | undefined {
    const session = this.sessions.get(id);
    if (session && this.now() >= session.expiresAt) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
