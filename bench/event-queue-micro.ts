/**
 * What an event sink's queue costs a publish once it is full (a webhook receiver or Redis away,
 * `events.*.max_queue` events held): `EventQueue` (src/events/event-queue.ts) against the slice of
 * the whole queue each such publish made before session 36, in alternated rounds of one process.
 *   bun bench/event-queue-micro.ts
 * Environment: QUEUE_MAX (10000, the sinks' default), QUEUE_EVENTS (100000 a round), QUEUE_ROUNDS (7).
 * Prints µs a publish, min–median–max over the rounds, for each, and the median ratio.
 */
import { EventQueue } from "../src/events/event-queue.ts";

const MAX = Number(process.env.QUEUE_MAX ?? "10000");
const EVENTS = Number(process.env.QUEUE_EVENTS ?? "100000");
const ROUNDS = Number(process.env.QUEUE_ROUNDS ?? "7");

/** The sinks' publish before session 36: push, then a slice of the whole queue past its bound. */
function sliced(): number {
  let queue: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    queue.push(i);
    if (queue.length > MAX) queue = queue.slice(queue.length - MAX);
  }
  return queue.length;
}

function queued(): number {
  const queue = new EventQueue<number>(MAX);
  for (let i = 0; i < EVENTS; i++) queue.push(i);
  return queue.length;
}

const perPublish = (run: () => number): number => {
  const started = performance.now();
  if (run() !== Math.min(MAX, EVENTS)) throw new Error("the queue lost count");
  return ((performance.now() - started) * 1000) / EVENTS;
};

const times = { sliced: [] as number[], queued: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  times.sliced.push(perPublish(sliced));
  times.queued.push(perPublish(queued));
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
const spread = (list: number[]) =>
  `${Math.min(...list).toFixed(3)}–${median(list).toFixed(3)}–${Math.max(...list).toFixed(3)}`;
console.log(`a publish to a full queue of ${MAX}, µs (min–median–max over ${ROUNDS} rounds of ${EVENTS}):`);
console.log(`  slice (before): ${spread(times.sliced)}`);
console.log(`  EventQueue:     ${spread(times.queued)}`);
console.log(
  `  median ratio, slice ÷ EventQueue: ${(median(times.sliced) / median(times.queued)).toFixed(0)}`,
);
