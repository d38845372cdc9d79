import { onceATurn } from "../core/once-a-turn.ts";
import type { ShadowRecord } from "./shadow-api-schema.ts";
import type { CopyDone, ShadowThreadReply } from "./shadow-thread-protocol.ts";

/** A batch this large is written at once, without waiting for the flush window (as on the event loop). */
const BATCH = 500;

/**
 * What the shadow thread tells the gateway: the copies that ended, the records in batches as JSON
 * text for the store (each within the flush window, or at once at `BATCH`), what each recorded
 * copy cost, that a flush asked for is done, why the catalogue's prices are off. Everything
 * finished in one turn leaves in one message.
 */
export class ThreadOutbox {
  private done: CopyDone[] = [];
  private batches: string[] = [];
  /** Each pair recorded since the last post: its model and what its copy cost. */
  private spent: [string, number][] = [];
  private flushed = false;
  /** Why the catalogue's prices are off, told once in the next post. */
  private unpriced: string | undefined;
  private readonly queue: ShadowRecord[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly schedule = onceATurn(() => this.post());

  constructor(private readonly send: (reply: ShadowThreadReply) => void) {}

  /** A copy ended: told in this turn's message. */
  ended(done: CopyDone): void {
    this.done.push(done);
    this.schedule();
  }

  /** A pair's record, written with the others within `flushMs`; its cost told in this turn's message. */
  recorded(made: ShadowRecord, flushMs: number): void {
    this.queue.push(made);
    if (made.shadow.costUsd > 0) {
      this.spent.push([made.model, made.shadow.costUsd]);
      this.schedule();
    }
    if (this.queue.length >= BATCH) this.flush();
    else if (this.timer === null) this.timer = setTimeout(this.flush, flushMs);
  }

  /** The gateway asked for every record: they leave now, and the message says the flush is done. */
  flushAsked(): void {
    this.flush();
    this.flushed = true;
    this.schedule();
  }

  /** The catalogue's prices are off, and why: told once, in this turn's message. */
  tellUnpriced(why: string): void {
    this.unpriced = why;
    this.schedule();
  }

  /** The flush window's timer callback, made once (not a closure per window). */
  private readonly flush = (): void => {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0) this.batches.push(JSON.stringify(this.queue.splice(0, BATCH)));
    this.schedule();
  };

  private post(): void {
    const { done, batches, spent, flushed, unpriced } = this;
    const reply: ShadowThreadReply = {
      outcomes: done,
      ...(batches.length > 0 ? { records: batches } : {}),
      ...(spent.length > 0 ? { spent } : {}),
      ...(flushed ? { flushed } : {}),
      ...(unpriced !== undefined ? { unpriced } : {}),
    };
    this.unpriced = undefined;
    this.done = [];
    this.batches = [];
    this.spent = [];
    this.flushed = false;
    this.send(reply);
  }
}
