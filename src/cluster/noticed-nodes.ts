import { CoalescedTask } from "../core/coalesced-task.ts";
import { entryKey } from "./directory-redis.ts";
import type { RedisLink } from "./redis-link.ts";

export interface NoticedNodesOptions {
  link: RedisLink;
  /** The entries read of the noticed nodes, as Redis holds them (null: gone). */
  onRead: (read: readonly (readonly [node: string, value: string | null])[]) => void;
  /** A read that failed, or whose `onRead` threw. */
  onError?: (error: unknown) => void;
}

/**
 * Other nodes that said their workers changed (directory-redis.ts `CHANGED_CHANNEL`): their entries
 * alone are read again, one read at a time, however many notices come meanwhile.
 */
export class NoticedNodes {
  /** Other nodes whose notices came since their entries were last read on one. */
  private readonly noticed = new Set<string>();
  private readonly reads = new CoalescedTask(() => this.read());
  private closed = false;

  constructor(private readonly options: NoticedNodesOptions) {}

  add(node: string): void {
    this.noticed.add(node);
    void this.reads.rerun();
  }

  /**
   * Reads no more, and settles once the read under way is over, its answer or failure told to no
   * one: what the directory served is closing, and the link is closed after this.
   */
  close(): Promise<void> {
    this.closed = true;
    return this.reads.idle();
  }

  private async read(): Promise<void> {
    const { link, onRead, onError } = this.options;
    const ids = [...this.noticed];
    this.noticed.clear();
    // Redis away: the beat that follows its return reads every entry (start-cluster.ts).
    if (this.closed || ids.length === 0 || !link.healthy()) return;
    try {
      const values = (await link.call((client) => client.send("MGET", ids.map(entryKey)))) as (
        | string
        | null
      )[];
      if (!this.closed) onRead(ids.map((id, i) => [id, values[i] ?? null] as const));
    } catch (error) {
      if (!this.closed) onError?.(error);
    }
  }
}
