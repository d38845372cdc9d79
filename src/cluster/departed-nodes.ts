import type { EventBus } from "../audit/event-bus.ts";
import type { NodeEntry } from "./node-entry.ts";

/**
 * The nodes that dropped out of the directory as this node reads it (an entry expired three
 * heartbeats after a `kill -9`, or a stopped node's, once drained), told to this node's live stream
 * as `node.left`: the relay brought their requests' starts here, and no finish will come for one
 * still in flight, so its reader (`mindgw tail`) ends its row. Only nodes this one saw listed.
 */
export class DepartedNodes {
  /** The other nodes the read before listed. */
  private listed: ReadonlySet<string> = new Set();

  constructor(
    private readonly self: string,
    private readonly bus: EventBus,
  ) {}

  /** Every entry as read now: those listed before and not now are told gone. */
  read(entries: readonly NodeEntry[]): void {
    const listed = new Set<string>();
    for (const entry of entries) if (entry.id !== this.self) listed.add(entry.id);
    for (const node of this.listed)
      if (!listed.has(node) && this.bus.wants("node.left"))
        this.bus.publish({ type: "node.left", at: Date.now(), node });
    this.listed = listed;
  }
}
