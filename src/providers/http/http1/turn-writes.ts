import { RequestBytes } from "./request-bytes.ts";

/** What a held write is sent to. */
export interface HeldWriter {
  /** Writes `bytes[from, from + size)`, a buffer reused once this returns (what is left is copied). */
  sendHeld(bytes: Buffer, from: number, size: number): void;
}

/**
 * Request writes held to the end of the event loop's turn and sent there back to back. A write to
 * a loopback (or local) upstream runs the upstream's receive path inside the caller's system call,
 * and wakes the upstream's thread if it sleeps: under load, one wake a request, at ~5–10 µs of the
 * event loop's time each on a virtual machine (`perf`: `sock_def_readable`, the waker's IPI). Sent
 * back to back, the writes of one turn find the upstream awake after the first (one wake a turn,
 * ~12 requests a turn at c=32), and the upstream takes them in one pass too. A write made while
 * no other exchange is in progress is not held (`setImmediate` would cost the lone call a turn's
 * hop and a task); the first held write of a turn schedules the turn's send.
 */
export class TurnWrites {
  /** The held requests, back to back; `ends[i]` is where the i-th ends. */
  private readonly held = new RequestBytes();
  private readonly writers: HeldWriter[] = [];
  private readonly ends: number[] = [];
  private readonly sendAll = () => this.send();

  /** Holds a copy of `bytes[0, size)` for `writer`, sent at the end of this turn. */
  hold(writer: HeldWriter, bytes: Buffer, size: number): void {
    const held = this.held;
    held.room(size);
    bytes.copy(held.bytes, held.size, 0, size);
    held.size += size;
    this.writers.push(writer);
    this.ends.push(held.size);
    if (this.writers.length === 1) setImmediate(this.sendAll);
  }

  /** Sends every held write, in the order held. */
  send(): void {
    const { writers, ends } = this;
    const bytes = this.held.bytes;
    let from = 0;
    for (let index = 0; index < writers.length; index++) {
      const end = ends[index] as number;
      (writers[index] as HeldWriter).sendHeld(bytes, from, end - from);
      from = end;
    }
    writers.length = 0;
    ends.length = 0;
    this.held.reset();
  }
}
