import type { AdminActionStore, StoredAdminAction } from "../../storage/storage.ts";

/** A page of the admin-action audit, and where the next one starts (null: none older). */
export interface ActionsPage {
  readonly actions: StoredAdminAction[];
  readonly nextBefore: number | null;
}

/** Rows read a batch at a time, and at most this many for one page (then the page ends early). */
const BATCH = 500;
const MOST_SCANNED = 5_000;

/**
 * A page of the actions a tenant's admin may read: those on a key of its tenant, or, for one with
 * no target (a sign-in), made with a key of its tenant. Actions by an admin with no key (single
 * sign-on, a JWT) on no key of the tenant are not its to read. Rows are read newest first until the
 * page is full; past `MOST_SCANNED` the page ends short, with `nextBefore` where reading stopped.
 */
export async function tenantActions(
  store: AdminActionStore,
  page: { before?: number; limit: number },
  tenant: string,
  keyTenant: (keyId: string) => Promise<string | undefined>,
): Promise<ActionsPage> {
  const tenants = new Map<string, Promise<string | undefined>>();
  const tenantOf = (keyId: string) => {
    let found = tenants.get(keyId);
    if (!found) {
      found = keyTenant(keyId);
      tenants.set(keyId, found);
    }
    return found;
  };
  const actions: StoredAdminAction[] = [];
  let before = page.before;
  for (let scanned = 0; scanned < MOST_SCANNED; ) {
    const batch = await store.list({ ...(before !== undefined ? { before } : {}), limit: BATCH });
    for (const action of batch) {
      scanned++;
      before = action.id;
      const keyId = action.target ?? action.actorKeyId;
      if (keyId === null || (await tenantOf(keyId)) !== tenant) continue;
      if (actions.length === page.limit) return { actions, nextBefore: actions.at(-1)?.id ?? null };
      actions.push(action);
    }
    if (batch.length < BATCH) return { actions, nextBefore: null };
  }
  return { actions, nextBefore: before ?? null };
}
