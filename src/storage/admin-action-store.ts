/** One change an admin made (a key created, a sign-in): who did what, when, from where. */
export interface AdminAction {
  /** Epoch milliseconds. */
  at: number;
  /** Key name or OIDC user (email or subject). */
  actor: string;
  /**
   * The actor's id, as its audit rows' `keyId`: its key's id, a JWT's subject id
   * (`jwt:<tenant>:<name>`, signed into the web UI with one too), or a single sign-on user's
   * `session:<tenant>:<name>`; null in actions recorded before JWT and single sign-on actors had one.
   */
  actorKeyId: string | null;
  /** How the actor signed in: `key` (an admin key on the API), `session` (the web UI), `oidc`. */
  via: string;
  /** Dotted verb: `key.create`, `key.revoke`, `key.rotate`, `key.limits`, `session.sign_in`, `session.sign_out`. */
  action: string;
  /** What the action was applied to (a key id), when anything. */
  target: string | null;
  /** A short, secret-free description of the change (a key's name and role, a grace period). */
  detail: string | null;
  clientIp: string | null;
  requestId: string | null;
}

/** A stored action with its position: `id` grows with every append. */
export interface StoredAdminAction extends AdminAction {
  id: number;
}

/** The admin-action audit: append-only, read newest first in pages. */
export interface AdminActionStore {
  append(action: AdminAction): Promise<void>;
  /**
   * Up to `limit` actions with an id below `before` (all when absent), newest first. With `keys`,
   * only the actions on one of those keys: their `target`, or, for one with none (a sign-in), their
   * `actorKeyId` (what an admin in a tenant reads: its tenant's keys); with `actor`, only those
   * whose `actorKeyId` it is (one caller's changes). Filtered by the store, so a page is full
   * whenever that many such actions are older than `before`.
   */
  list(page: AdminActionPage): Promise<StoredAdminAction[]>;
}

/** Whether an action is on one of `keys`, as `AdminActionStore.list` filters by them. */
export function onKeyOf(action: AdminAction, keys: ReadonlySet<string>): boolean {
  const key = action.target ?? action.actorKeyId;
  return key !== null && keys.has(key);
}

/** Which admin actions `AdminActionStore.list` reads. */
export interface AdminActionPage {
  before?: number;
  limit: number;
  keys?: readonly string[];
  /** One actor's actions, by its id (`actorKeyId`): never by name, which two callers may share. */
  actor?: string;
}

/** Whether an action is one `AdminActionStore.list` reads for this page's `keys` and `actor`. */
export function inActionPage(
  action: AdminAction,
  keys: ReadonlySet<string> | undefined,
  actor?: string,
): boolean {
  return (
    (keys === undefined || onKeyOf(action, keys)) && (actor === undefined || action.actorKeyId === actor)
  );
}
