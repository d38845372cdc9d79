import type { Logger } from "../log/logger.ts";
import type { AdminActionStore } from "./admin-action-store.ts";
import type { AdminSessionStore } from "./admin-session-store.ts";
import type { AuditStore } from "./audit-store.ts";
import type { KeyStore } from "./key-store.ts";
import type { ResponseStore } from "./response-store.ts";
import type { ShadowStore } from "./shadow-store.ts";
import type { SpendStore } from "./spend-store.ts";

// The stores each live in a file of their own; importers read them from here.
export type {
  AdminAction,
  AdminActionPage,
  AdminActionStore,
  StoredAdminAction,
} from "./admin-action-store.ts";
export { inActionPage, onKeyOf } from "./admin-action-store.ts";
export type { AdminSessionStore, StoredAdminSession } from "./admin-session-store.ts";
export type { AuditBatchResult, AuditEntry, AuditStore, RefusedRow, TenantUsage } from "./audit-store.ts";
export type { KeyPageFilter, KeyPosition, KeyStore } from "./key-store.ts";
export type { ResponseChain, ResponseStore, StoredResponse } from "./response-store.ts";
export type { ShadowFilter, ShadowStore } from "./shadow-store.ts";
export type { SpendChanges, SpendStore } from "./spend-store.ts";

/**
 * Everything the gateway persists, one store per concern. An embedder that passes its own
 * `Storage` gets no database file of ours; the one file a gateway may still write is a stop's
 * audit rows its storage never took (`GatewayOptions.auditSpillDir`, else the working or temp
 * directory: docs/EMBEDDING.md). `close` releases the backend; the gateway flushes the audit
 * writer before calling it.
 */
export interface Storage {
  keys: KeyStore;
  spend: SpendStore;
  responses: ResponseStore;
  audit: AuditStore;
  /** Recorded shadow pairs; without one, pairs are compared and logged but not kept. */
  shadow?: ShadowStore;
  /** Who changed what through `/admin`; an in-memory log is used when a backend has none. */
  adminActions?: AdminActionStore;
  /** Web UI sessions, shared by every node on the same storage; in memory when a backend has none. */
  adminSessions?: AdminSessionStore;
  /**
   * Reads the id of the cluster whose nodes share this storage (PostgreSQL's, made once in the
   * database by the first node that asks): a cluster node claims its Redis database and stamps its
   * messages with it (cluster/cluster-claim.ts). Asked only by a node serving with `cluster:` (and
   * `mindgw keys -c` with `cluster:`, to stamp its notices), so nothing else reads or writes it.
   * A backend no cluster shares has none; an embedder's own storage gives one to run as a cluster
   * node (EMBEDDING.md).
   */
  clusterId?(): Promise<string>;
  /**
   * The secret a gateway without `cluster.secret` seals with (core/shared-key.ts: a tenant reader's
   * audit cursors, an admin in a tenant's action ids, a pending single sign-on): 32 random bytes
   * kept in this storage, made by the first process that asks (processes starting together agree:
   * the first insert wins, the others read it), so what one process sealed opens after a restart
   * and on every node on this storage. Read once, as the gateway starts; never with
   * `cluster.secret`. A storage without it (an embedder's own) leaves each process a key of its
   * own, and a restart ends what it sealed (EMBEDDING.md).
   */
  sealSecret?(): Promise<Uint8Array>;
  /**
   * Fills the rows a migration left to fill (PostgreSQL's shadow caller ids and item index), in
   * batches, once the node serves: the stores read those rows meanwhile. Resolves when done, or
   * stopped by `close`; never rejects (a failed batch is logged and tried again). A command that
   * only opens the store for a moment leaves it to the serving nodes.
   */
  backfill?(log: Pick<Logger, "info" | "warn" | "error">): Promise<void>;
  close(): Promise<void>;
}
