import { type AdminActionStore, inActionPage, type StoredAdminAction } from "../storage.ts";

/** AdminActionStore held in process memory: for embedders whose storage has none, and tests. */
export function createMemoryAdminActionStore(): AdminActionStore {
  const actions: StoredAdminAction[] = [];
  return {
    async append(action) {
      actions.push({ ...action, id: actions.length + 1 });
    },
    async list({ before, limit, keys, actor }) {
      const end = before === undefined ? actions.length : Math.max(0, Math.min(actions.length, before - 1));
      if (keys === undefined && actor === undefined)
        return actions.slice(Math.max(0, end - limit), end).reverse();
      const wanted = keys && new Set(keys);
      const page: StoredAdminAction[] = [];
      for (let i = end - 1; i >= 0 && page.length < limit; i--) {
        const action = actions[i] as StoredAdminAction;
        if (inActionPage(action, wanted, actor)) page.push(action);
      }
      return page;
    },
  };
}
