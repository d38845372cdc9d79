import { type AdminActionStore, onKeyOf, type StoredAdminAction } from "../../storage/storage.ts";

/** A page of the admin-action audit, and where the next one starts (null: none older). */
export interface ActionsPage {
  readonly actions: StoredAdminAction[];
  readonly nextBefore: number | null;
}

/**
 * A page of the admin-action audit as its reader may see it: every action for an admin outside
 * every tenant (`keys` absent); for a tenant's admin, the actions on a key of its tenant (`keys`:
 * all of them, revoked included) or, for one with no target (a sign-in), made with one. Actions by
 * an admin with no key (single sign-on, a JWT) on no key of the tenant are not its to read. The
 * store filters, so a page is full whenever that many of the reader's actions are older, however
 * many of other tenants' came since.
 */
export async function actionsPage(
  store: AdminActionStore,
  page: { before?: number; limit: number },
  keys?: readonly string[],
): Promise<ActionsPage> {
  // One more than the page: whether an older page exists.
  const listed = await store.list({ ...page, limit: page.limit + 1, ...(keys ? { keys } : {}) });
  const considered = listed.slice(0, page.limit);
  // Filtered again here: an embedder's store written before `keys` existed returns every tenant's
  // actions; its pages then come short, never with another tenant's.
  const wanted = keys && new Set(keys);
  const shown = wanted ? considered.filter((action) => onKeyOf(action, wanted)) : considered;
  return {
    actions: shown,
    nextBefore: listed.length > page.limit ? (considered.at(-1)?.id ?? null) : null,
  };
}
