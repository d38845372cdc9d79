import { nodesOwn, notAnsweredWords } from "../core/unanswered-words.ts";
import { formatClock, oneLine } from "./format.ts";

/**
 * The cluster nodes that did not answer as the stream opened (`node.unanswered`, one event each):
 * their requests finished just before may not show. Said on a line of their own, every one named
 * (the config notice is another's), until each node's `node.left` (a node killed is gone then, and
 * its requests in flight are marked lost) or the stream's reconnect.
 */
export class UnansweredNodes {
  private readonly nodes = new Set<string>();
  /** When the latest was said. */
  private at = 0;

  add(node: string, at: number): void {
    this.nodes.add(node);
    this.at = at;
  }

  /**
   * The stream is live again (told at its headers, before its own `node.unanswered`): it names anew
   * the nodes that do not answer it. A slow node named before gets no `node.left` to drop it.
   */
  reopened(): void {
    this.nodes.clear();
  }

  /** `node` left the directory: no longer said. */
  left(node: string): void {
    this.nodes.delete(node);
  }

  notice(): string | null {
    if (this.nodes.size === 0) return null;
    const nodes = [...this.nodes].map(oneLine);
    return `${formatClock(this.at)} ${notAnsweredWords(nodes)}: ${nodesOwn(nodes)} requests may not show`;
  }
}
