/** A web UI session as stored: never the session id itself, only its SHA-256. */
export interface StoredAdminSession {
  /** Hex SHA-256 of the session id (the id lives only in the browser's HttpOnly cookie). */
  idHash: string;
  /** The CSRF token the page repeats on every call (useless without the cookie). */
  csrf: string;
  /** The signed-in principal, as JSON. */
  principal: string;
  method: "key" | "oidc";
  /** The admin key signed in with; the session ends when that key stops being active. */
  keyId: string | null;
  createdAt: number;
  expiresAt: number;
  /**
   * When the session was last used (a user's action in the console, stored at most once a minute):
   * `admin_ui.session_idle_timeout` after it, the session ends. Its sign-in at first.
   */
  usedAt: number;
}

/** Web UI sessions by id hash; an expired session is never returned. */
export interface AdminSessionStore {
  save(session: StoredAdminSession): Promise<void>;
  /** The session with this id hash, unless it has expired by `now` (epoch ms). */
  get(idHash: string, now: number): Promise<StoredAdminSession | null>;
  delete(idHash: string): Promise<void>;
  /** Records that the session was used at `at` (no row is made for a session already deleted). */
  touch(idHash: string, at: number): Promise<void>;
  /** Deletes every session expired by `now`; returns how many. */
  prune(now: number): Promise<number>;
}
