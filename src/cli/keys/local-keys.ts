import { createKeyAdmin } from "../../auth/key-admin.ts";
import type { Config } from "../../config/config-schema.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import type { KeysBackend } from "./keys-backend.ts";

/**
 * Keys managed straight in the store the gateway uses (`-c config.yaml`), as the operator of
 * the host. A running gateway on the same file sees the change within its refresh bound.
 */
export function localKeys(config: Config): KeysBackend {
  const storage = openSqliteStorage(config.storage.path);
  const admin = createKeyAdmin({ store: storage.keys });
  const actor = "local-operator" as const;
  return {
    create: (input) => admin.create(actor, input),
    list: (includeRevoked, tenant) => admin.list(actor, { includeRevoked, ...(tenant ? { tenant } : {}) }),
    show: (id) => admin.show(actor, id),
    revoke: (id) => admin.revoke(actor, id),
    rotate: (id, input) => admin.rotate(actor, id, input),
    close: () => storage.close(),
  };
}
