import type { RedisClient } from "bun";
import { RedisLink } from "../redis-link.ts";

/**
 * The test's Redis, whose next call can be made to fail (a Redis error mid-beat) or to answer only
 * once the test lets it (a beat whose read of the directory is overtaken by a notice's).
 */
export class SteeredLink extends RedisLink {
  private failing = false;
  /** How many more calls answer before every one fails (null: none fails). */
  private answering: number | null = null;
  private held: { ran: () => void; answer: Promise<void> } | null = null;

  failNext(): void {
    this.failing = true;
  }

  /** Redis answers the next `calls` calls, then fails every one after them (a Redis that hiccups for good). */
  failAfter(calls: number): void {
    this.answering = calls;
  }

  /** The next call runs (`ran` then settles), and answers when `answer` is called. */
  holdNext(): { ran: Promise<void>; answer: () => void } {
    const ran = Promise.withResolvers<void>();
    const answer = Promise.withResolvers<void>();
    this.held = { ran: ran.resolve, answer: answer.promise };
    return { ran: ran.promise, answer: answer.resolve };
  }

  override async call<T>(work: (client: RedisClient) => Promise<T>, unvouched = false): Promise<T> {
    if (this.failing) {
      this.failing = false;
      throw new Error("ERR the test's Redis failed this call");
    }
    if (this.answering !== null) {
      if (this.answering === 0) throw new Error("ERR the test's Redis failed this call");
      this.answering--;
    }
    const gate = this.held;
    this.held = null;
    const answer = await super.call(work, unvouched);
    if (gate !== null) {
      gate.ran();
      await gate.answer;
    }
    return answer;
  }
}
