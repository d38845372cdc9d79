import type { NodeEntry } from "./node-entry.ts";

/**
 * The directory as this node last read it: a beat reads every entry, a notice one node's, and
 * the two reads may answer in either order.
 */
export class SeenEntries {
  private entries: NodeEntry[] = [];
  /** Nodes whose entries a notice read since the last beat began: the beat's read may lack them. */
  private readonly noticedSinceBeat = new Set<string>();

  all(): readonly NodeEntry[] {
    return this.entries;
  }

  /** A beat begins its read of every entry. */
  beatBegins(): void {
    this.noticedSinceBeat.clear();
  }

  /** A beat's read of every entry (`merged`). */
  beatRead(read: readonly NodeEntry[]): void {
    this.entries = merged(this.entries, read, this.noticedSinceBeat);
  }

  /** One node's entry as a notice read it (null: gone), in place of the one held unless that one is newer. */
  noticeRead(node: string, entry: NodeEntry | null): void {
    const held = this.entries.find((e) => e.id === node);
    if (entry === null) this.noticedSinceBeat.delete(node);
    else this.noticedSinceBeat.add(node);
    if (entry === null) this.entries = this.entries.filter((e) => e !== held);
    else if (held === undefined) this.entries = [...this.entries, entry];
    else this.entries = this.entries.map((e) => (e === held ? newer(held, entry) : e));
  }
}

/**
 * The later of two reads of one node's entry: a beat's read of every entry and a notice's read of
 * one may answer in either order. Their `at` orders them only when one process wrote both; entries
 * of two processes under one id (a node restarted, perhaps on another host) are timed by two clocks
 * that need not agree, and the read stands: a successor whose clock is behind its predecessor's
 * would otherwise be read as the older for as long as the clocks differ. A read that answered out
 * of order then stands until the next beat's.
 */
function newer(held: NodeEntry | undefined, read: NodeEntry): NodeEntry {
  return held !== undefined && held.instance === read.instance && held.at > read.at ? held : read;
}

/**
 * A beat's read of every entry over those held: the later of each node's two, and the entries read
 * on a notice since the beat began (`readSince`) kept though the read lacks them: it listed the
 * nodes before they joined, and its stale list dropped them until the next heartbeat.
 */
function merged(
  held: readonly NodeEntry[],
  read: readonly NodeEntry[],
  readSince: ReadonlySet<string>,
): NodeEntry[] {
  const readIds = new Set(read.map((entry) => entry.id));
  return [
    ...read.map((entry) =>
      newer(
        held.find((h) => h.id === entry.id),
        entry,
      ),
    ),
    ...held.filter((entry) => !readIds.has(entry.id) && readSince.has(entry.id)),
  ];
}
