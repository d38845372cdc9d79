import type { AdminActionStore, StoredAdminAction } from "../storage.ts";

/** AdminActionStore held in process memory: for embedders whose storage has none, and tests. */
export function createMemoryAdminActionStore(): AdminActionStore {
  const actions: StoredAdminAction[] = [];
  return {
    async append(action) {
      actions.push({ ...action, id: actions.length + 1 });
    },
    async list({ before, limit }) {
      const end = before === undefined ? actions.length : Math.max(0, Math.min(actions.length, before - 1));
      return actions.slice(Math.max(0, end - limit), end).reverse();
    },
  };
}
