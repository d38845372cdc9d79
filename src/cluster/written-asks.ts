import { randomUUID } from "node:crypto";

/**
 * The asks this node sent ("write your queued audit rows, then say so") and the nodes each still
 * waits for. A live stream opening here waits on one so that its reader's first read of the log
 * holds the requests other nodes finished just before the connect (event-relay.ts `othersWritten`).
 */
export class WrittenAsks {
  private readonly pending = new Map<string, { waiting: Set<string>; done: () => void }>();

  /**
   * A new ask of `nodes`: its id (to publish) and what settles once each has answered or
   * `timeoutMs` passed (a node that cannot answer: killed, of a release before asks, Redis away).
   * Never rejects.
   */
  ask(nodes: readonly string[], timeoutMs: number): { id: string; answered: Promise<void> } {
    const id = randomUUID();
    const answered = new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve();
      };
      if (nodes.length === 0) return done();
      this.pending.set(id, { waiting: new Set(nodes), done });
      timer = setTimeout(done, timeoutMs);
    });
    return { id, answered };
  }

  /** `node` answered ask `id` (one of another node's, or long over: nothing). */
  answered(id: string, node: string): void {
    const ask = this.pending.get(id);
    if (ask === undefined) return;
    ask.waiting.delete(node);
    if (ask.waiting.size === 0) ask.done();
  }

  /** Settles every ask at once (the node stops). */
  close(): void {
    for (const ask of [...this.pending.values()]) ask.done();
  }
}
