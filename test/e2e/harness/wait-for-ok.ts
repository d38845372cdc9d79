import { expect } from "bun:test";
import { waitFor } from "./wait-for.ts";

/** An HTTP answer as a poll reads it: its status, and what was read from it when a 200. */
export interface OkAnswer<T> {
  status: number;
  body?: T;
}

/**
 * Polls `read` until `holds` of what it read, or until it answers other than 200; the 200 is
 * asserted once, after the wait, so a test's expect() count does not depend on how many polls
 * the wait took (an assertion inside the poll counts once per poll).
 */
export async function waitForOk<T>(
  what: string,
  read: () => Promise<OkAnswer<T>>,
  holds: (body: T) => boolean,
  timeoutMs?: number,
  everyMs?: number,
): Promise<T> {
  const last = await waitFor(
    what,
    async () => {
      const answer = await read();
      return (answer.body === undefined || holds(answer.body)) && answer;
    },
    timeoutMs,
    everyMs,
  );
  expect(last.status).toBe(200);
  return last.body as T;
}

/**
 * Makes a call each poll (`call(turn)`, turn 1, 2, …) until `shown()` holds: what such calls are
 * sent for, as a relayed request reaching another node's live stream once that node relays. Each
 * call must answer 200, asserted once after the wait (a call answered otherwise ends it), so the
 * expect() count does not depend on how many calls it took. Returns the last call's turn.
 */
export function callUntil(
  what: string,
  call: (turn: number) => Promise<{ status: number }>,
  shown: () => boolean,
  timeoutMs?: number,
  everyMs?: number,
): Promise<number> {
  let turn = 0;
  return waitForOk(
    what,
    async () => {
      const { status } = await call(++turn);
      // No body but a 200's: waitForOk ends at an answer without one, and asserts its 200.
      return { status, body: status === 200 ? turn : undefined };
    },
    shown,
    timeoutMs,
    everyMs,
  );
}
