import { type AdminActionStore, onKeyOf, type StoredAdminAction } from "../storage.ts";

/** AdminActionStore held in process memory: for embedders whose storage has none, and tests. */
export function createMemoryAdminActionStore(): AdminActionStore {
  const actions: StoredAdminAction[] = [];
  return {
    async append(action) {
      actions.push({ ...action, id: actions.length + 1 });
    },
    async list({ before, limit, keys }) {
      const end = before === undefined ? actions.length : Math.max(0, Math.min(actions.length, before - 1));
      if (keys === undefined) return actions.slice(Math.max(0, end - limit), end).reverse();
      const wanted = new Set(keys);
      const page: StoredAdminAction[] = [];
      for (let i = end - 1; i >= 0 && page.length < limit; i--) {
        const action = actions[i] as StoredAdminAction;
        if (onKeyOf(action, wanted)) page.push(action);
      }
      return page;
    },
  };
}
