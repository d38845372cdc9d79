import type { EventBus } from "../audit/event-bus.ts";
import type { NodeEntry } from "./node-entry.ts";

/**
 * The nodes that dropped out of the directory as this node reads it (an entry expired three
 * heartbeats after a `kill -9`, or a stopped node's, once drained), told to this node's live stream
 * as `node.left`: the relay brought their requests' starts here, and no finish will come for one
 * still in flight, so its reader (`mindgw tail`) ends its row. Only nodes this one saw listed.
 * A node listed again by another process (`NodeEntry.instance`) is its old process gone as well:
 * killed and started again under the same id (the default name, advertise_url's host:port,
 * survives a restart) before a read saw the gap; `node.left` names that instance, whose requests
 * alone end (their `request.started` names it).
 */
export class DepartedNodes {
  /** The other nodes the read before listed, each with its entry's instance (absent: a release before). */
  private listed: ReadonlyMap<string, string | undefined> = new Map();

  constructor(
    private readonly self: string,
    private readonly bus: EventBus,
  ) {}

  /** Every entry as read now: those listed before and not now, or now by another instance, are told gone. */
  read(entries: readonly NodeEntry[]): void {
    const listed = new Map<string, string | undefined>();
    for (const entry of entries) if (entry.id !== this.self) listed.set(entry.id, entry.instance);
    for (const [node, instance] of this.listed) {
      const gone = !listed.has(node) || (instance !== undefined && listed.get(node) !== instance);
      if (gone && this.bus.wants("node.left"))
        this.bus.publish({
          type: "node.left",
          at: Date.now(),
          node,
          ...(instance === undefined ? {} : { instance }),
        });
    }
    this.listed = listed;
  }
}
