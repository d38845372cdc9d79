import { createKeyAdmin, type InTenant } from "../../auth/key-admin.ts";
import { positionOf } from "../../auth/key-view.ts";
import { announceKeyChanges } from "../../cluster/key-notice.ts";
import type { Config } from "../../config/config-schema.ts";
import { keysetPages } from "../../core/keyset-pages.ts";
import {
  namingStorage,
  newDatabaseWarning,
  openCommandStorage,
  requireDatabaseFile,
  requirePostgresSchema,
} from "../config-store.ts";
import { type KeysBackend, LIST_PAGE } from "./keys-backend.ts";

/** `--tenant` as the key admin's option. */
const tenantOption = (tenant: string | undefined): InTenant => (tenant === undefined ? {} : { tenant });

/**
 * Keys managed straight in the store the gateway uses (`-c config.yaml`), as the operator of
 * the host. A running gateway on the same file sees the change within its refresh bound; with
 * `cluster:` in the config, every node is told through Redis at once, as for a change made on a node.
 * `createsStore`: the command may make the store its config names (`keys create`, the first key
 * before any serve; a new SQLite file said so); any other refuses a path with no file there (a
 * wrong `storage.path`) or a PostgreSQL database holding none of mindgw's tables (a wrong
 * `storage.url`), where it made an empty store to list or revoke nothing in. `clusterUnread`:
 * why the config's `cluster:` was not read (read-store-config.ts), said once a change is made.
 */
export async function localKeys(
  config: Config,
  migrate: boolean,
  { createsStore, clusterUnread }: { createsStore: boolean; clusterUnread?: string },
): Promise<KeysBackend> {
  // A new SQLite file is said once the store is made (config-store.ts), not before a path it cannot make.
  const created = createsStore ? newDatabaseWarning(config.storage) : undefined;
  if (!createsStore) {
    if (config.storage.driver === "sqlite") requireDatabaseFile(config.storage.path);
    else await requirePostgresSchema(config.storage);
  }
  const storage = await openCommandStorage(config.storage, migrate);
  if (created !== undefined) process.stderr.write(`${created}\n`);
  const changed: string[] = [];
  const admin = createKeyAdmin({
    store: storage.keys,
    tenants: () => config.tenants.map((t) => t.name),
    onChange: (record) => changed.push(record.id),
  });
  const actor = "local-operator" as const;
  /** A write the file refused names the file (a full disk, a read-only database). */
  const named =
    <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    (...args: A) =>
      run(...args).catch((error: unknown) => {
        throw namingStorage(error, config.storage);
      });
  return {
    create: named((input) => admin.create(actor, input)),
    listPages: (includeRevoked, tenant) =>
      keysetPages(
        (after) =>
          admin.list(actor, { includeRevoked, ...(tenant ? { tenant } : {}) }, { after, limit: LIST_PAGE }),
        positionOf,
        LIST_PAGE,
      ),
    show: named((id, tenant) => admin.show(actor, id, tenantOption(tenant))),
    revoke: named((id, tenant) => admin.revoke(actor, id, tenantOption(tenant))),
    rotate: named((id, input, tenant) => admin.rotate(actor, id, input, tenantOption(tenant))),
    setLimits: named((id, input, tenant) => admin.setLimits(actor, id, input, tenantOption(tenant))),
    tenantNames: async () => config.tenants.map((t) => t.name),
    async close() {
      // The cluster's id stamps the notices; unreadable (a role without access to cluster_meta),
      // they go unstamped, which every node takes: the change is made, and the command says nothing of it.
      const clusterId =
        config.cluster && changed.length > 0 ? await storage.clusterId?.().catch(() => undefined) : undefined;
      await storage.close();
      if (clusterUnread !== undefined && changed.length > 0)
        process.stderr.write(
          `warning: cluster: not read (${clusterUnread}), so no node was told through Redis; nodes see the change within 2 s\n`,
        );
      if (!config.cluster) return;
      const failed = await announceKeyChanges(config.cluster, clusterId, changed);
      if (failed !== null)
        process.stderr.write(
          `warning: could not tell the cluster through Redis (${failed}); nodes see the change within 2 s\n`,
        );
    },
  };
}
