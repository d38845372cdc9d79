import type { JsonSeal } from "./json-seal.ts";
import type { NodeConfig, NodeEntry } from "./node-entry.ts";
import type { RedisLink } from "./redis-link.ts";

export interface NodeDirectoryOptions {
  link: RedisLink;
  self: { id: string; url: string };
  /**
   * The cluster's id (cluster-claim.ts): the entry is stamped with it, and entries stamped with
   * another are read as none. Without it (tests of the directory alone), nothing is stamped.
   */
  clusterId?: string;
  /**
   * `cluster.secret`'s seal (json-seal.ts): the entry is sealed with it, and one not sealed so
   * (forged by whoever can write to Redis, or written by a release before seals), or sealed longer
   * ago than an entry stands (a genuine one copied and kept), is read as none.
   * Without it (tests of the directory alone), nothing is sealed.
   */
  seal?: JsonSeal;
  heartbeatMs: number;
  /** How long the node's name outlives its last renewal (name-lease.ts `leaseTtlMs`); three heartbeats unless given. */
  leaseMs?: number;
  /**
   * A beat found this node's name held by another live process (its URL, name-lease.ts): this node
   * writes no entry meanwhile (`namesake`). Told once per other process.
   */
  onNamesake?: (url: string) => void;
  /** This process's token in its entry (`NodeEntry.instance`); a random one unless given. */
  instance?: string;
  /** This node's connected workers, read at every heartbeat. */
  workers: () => NodeEntry["workers"];
  /** The config this node runs, read at every heartbeat. */
  config?: () => NodeConfig;
  /** Whether this node's live stream has readers, read at every heartbeat. */
  watching?: () => boolean;
  /** Called with every directory read (this node included). */
  onUpdate?: (entries: readonly NodeEntry[]) => void;
  onError?: (error: unknown) => void;
  /**
   * A test's clock, in place of both of this process's: the monotonic one that times how long a
   * predecessor's workers stay listed (listed-workers.ts) and how long a start waits for its name
   * held by another process (name-lease.ts), and `entryClock` (epoch ms that an NTP
   * step never moves) that stamps the entry's `at`. Only spans and the order of this process's own
   * entries are read of either, so one clock a test moves stands for both.
   */
  now?: () => number;
}
