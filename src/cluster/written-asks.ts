import { randomUUID } from "node:crypto";

/** Starts a timer that calls `fire` after `ms`, and gives back what clears it. */
export type StartTimer = (fire: () => void, ms: number) => () => void;

/** The process's timer. */
const processTimer: StartTimer = (fire, ms) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};

/** How long an ask waits, for a node to hear it and for it to answer. */
export interface AskBounds {
  /**
   * A node that has not said it heard the ask by then is skipped for it (killed but still listed:
   * its entry stands for three heartbeats), once what came before is read (`judgeHeard`); one that
   * heard it is waited for until `timeoutMs`, or until Redis is seen gone (`cutOff`).
   */
  heardWithinMs: number;
  timeoutMs: number;
  /** A test's timer for the heard bound, in place of the process's: the test says when it is passed. */
  heardTimer?: StartTimer | undefined;
}

interface PendingAsk {
  /** The nodes asked that have not answered yet. */
  waiting: Set<string>;
  /** The nodes that said they heard it. */
  heard: Set<string>;
  /** Past the heard bound: only the nodes that heard it are waited for. */
  heardOnly: boolean;
  done: () => void;
}

/**
 * The asks this node sent ("write your queued audit rows, then say so") and the nodes each still
 * waits for. A live stream opening here waits on one so that its reader's first read of the log
 * holds the requests other nodes finished just before the connect (event-relay.ts `othersWritten`).
 */
export class WrittenAsks {
  private readonly pending = new Map<string, PendingAsk>();

  /**
   * A new ask of `nodes`: its id (to publish) and what settles once each has answered, or was
   * skipped (not heard from within `heardWithinMs`), or `timeoutMs` passed (Redis away): with the
   * nodes that did not answer, whose queued rows may not be written yet. At the heard bound
   * `atHeardBound` is called, not a judgement made: a `heard` may have arrived unread (this node's
   * loop busy past the bound), and is read before the caller's `judgeHeard`. `silent`: those of
   * `nodes` that never say they heard (a release before `heard`), waited for as if they had. Never
   * rejects.
   */
  ask(
    nodes: readonly string[],
    bounds: AskBounds,
    silent: readonly string[],
    atHeardBound: (id: string) => void,
  ): { id: string; answered: Promise<readonly string[]> } {
    const id = randomUUID();
    const answered = new Promise<readonly string[]>((resolve) => {
      const timers: (() => void)[] = [];
      const ask: PendingAsk = {
        waiting: new Set(nodes),
        heard: new Set(silent),
        heardOnly: false,
        done: () => {
          for (const clear of timers) clear();
          this.pending.delete(id);
          resolve([...ask.waiting]);
        },
      };
      if (nodes.length === 0) return ask.done();
      this.pending.set(id, ask);
      const heardTimer = bounds.heardTimer ?? processTimer;
      timers.push(heardTimer(() => atHeardBound(id), Math.min(bounds.heardWithinMs, bounds.timeoutMs)));
      timers.push(processTimer(ask.done, bounds.timeoutMs));
    });
    return { id, answered };
  }

  /** `node` heard ask `id` and writes its rows: waited for until the ask's deadline. */
  heard(id: string, node: string): void {
    this.pending.get(id)?.heard.add(node);
  }

  /** Past ask `id`'s heard bound, what came before read: only the nodes that heard it are waited for. */
  judgeHeard(id: string): void {
    const ask = this.pending.get(id);
    if (ask === undefined) return;
    ask.heardOnly = true;
    settleIfOver(ask);
  }

  /**
   * Redis is away since ask `id` went out (its heard check could not be sent): no answer can reach
   * this node, so it settles now with every node not answered, those that said they heard it too.
   */
  cutOff(id: string): void {
    this.pending.get(id)?.done();
  }

  /** `node` answered ask `id` (one of another node's, or long over: nothing). */
  answered(id: string, node: string): void {
    const ask = this.pending.get(id);
    if (ask === undefined) return;
    ask.waiting.delete(node);
    settleIfOver(ask);
  }

  /** Settles every ask at once (the node stops). */
  close(): void {
    for (const ask of [...this.pending.values()]) ask.done();
  }
}

/** Every node waited for answered (past the heard bound: every one that heard it). */
function settleIfOver(ask: PendingAsk): void {
  for (const node of ask.waiting) if (!ask.heardOnly || ask.heard.has(node)) return;
  ask.done();
}
