import {
  type AdminActionPage,
  type AdminActionStore,
  inActionPage,
  type StoredAdminAction,
} from "../../storage/storage.ts";

/** A page of the admin-action audit, and where the next one starts (null: none older). */
export interface ActionsPage {
  readonly actions: StoredAdminAction[];
  readonly nextBefore: number | null;
}

/**
 * A page of the admin-action audit as its reader may see it: every action for an admin outside
 * every tenant (`keys` absent); for a tenant's admin, the actions on a key of its tenant (`keys`:
 * all of them, revoked included) or, for one with no target (a sign-in), made with one. Actions by
 * an admin with no key (single sign-on, a JWT) on no key of the tenant are not its to read. With
 * `actor`, only that caller's, by its id. The store filters, so a page is full whenever that many
 * of the reader's actions are older, however many of other tenants' came since.
 */
export async function actionsPage(
  store: AdminActionStore,
  page: Omit<AdminActionPage, "keys">,
  keys?: readonly string[],
): Promise<ActionsPage> {
  // One more than the page: whether an older page exists.
  const listed = await store.list({ ...page, limit: page.limit + 1, ...(keys ? { keys } : {}) });
  const considered = listed.slice(0, page.limit);
  // Filtered again here: an embedder's store written before `keys` or `actor` existed returns
  // every tenant's actions, every actor's; its pages then come short, never with another's.
  const wanted = keys && new Set(keys);
  const shown = considered.filter((action) => inActionPage(action, wanted, page.actor));
  return {
    actions: shown,
    nextBefore: listed.length > page.limit ? (considered.at(-1)?.id ?? null) : null,
  };
}
