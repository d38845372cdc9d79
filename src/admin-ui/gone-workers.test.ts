import { describe, expect, test } from "bun:test";
import type { WorkerSummary } from "../audit/gateway-event.ts";
import {
  GONE_MAX,
  type GoneWorker,
  type SeenLeaving,
  StreamGap,
  withSeen,
  withUnseen,
} from "./gone-workers.ts";

// The Workers page's "Recently gone" as its event stream and its list reads change it, the stream
// dropping and coming back between them.

const worker = (name: string, id = `${name}-id`): WorkerSummary => ({
  id,
  name,
  tenant: "default",
  models: ["llama"],
  inFlight: 0,
  capacity: 4,
  labels: {},
  lastHeartbeatAt: 0,
});
const lost = (w: WorkerSummary, at: number): SeenLeaving => ({
  seen: true,
  at,
  worker: w,
  reason: "connection closed (1006)",
  drained: false,
});
const names = (gone: readonly GoneWorker[]) =>
  gone.map((g) => `${g.worker.name}:${g.seen ? "seen" : "unseen"}`);

describe("the workers the page lists as gone", () => {
  const [a, b, c] = [worker("a"), worker("b"), worker("c")];

  test("a drop keeps what was seen leaving; a read after it adds those listed at the drop and gone since, with when", () => {
    const gap = new StreamGap();
    let gone = withSeen([], lost(c, 5));
    gap.down([a, b], 10);
    gap.up();
    const read = gap.reading(12);
    const unseen = read([a], 20);
    expect(unseen).toEqual([{ seen: false, worker: b, from: 10, to: 20 }]);
    gone = withUnseen(gone, unseen);
    expect(names(gone)).toEqual(["b:unseen", "c:seen"]);
  });

  test("a read begun while the stream is still down tells what left so far, and the next read after it is back tells the rest", () => {
    const gap = new StreamGap();
    gap.down([a, b, c], 10);
    // A failed reconnect is the same gap: its first drop's time and list stand.
    gap.down([a], 15);
    const early = gap.reading(16);
    gap.up();
    expect(early([a, b], 20).map((u) => u.worker.name)).toEqual(["c"]);
    // That read began before the stream was back: a worker may have left between it and the connect.
    // It listed b, so b left after it began.
    const after = gap.reading(25);
    expect(after([a], 30).map((u) => [u.worker.name, u.from, u.to])).toEqual([
      ["b", 16, 30],
      ["c", 10, 30],
    ]);
    // The gap is covered: later reads tell nothing, the events do.
    expect(gap.reading(35)([], 40)).toEqual([]);
  });

  test("a drop before the read begun at the connect answers is a gap of its own: a worker that leaves in it is told by the next connect's read", () => {
    const gap = new StreamGap();
    gap.down([a, b], 10);
    gap.up();
    const atConnect = gap.reading(12);
    gap.down([a, b], 15);
    // It answers once the stream is down again: b was still there, and the gap it covered is over,
    // but not the one it is answered in.
    expect(atConnect([a, b], 16)).toEqual([]);
    gap.up();
    // b left during the second drop.
    expect(gap.reading(20)([a], 30)).toEqual([{ seen: false, worker: b, from: 12, to: 30 }]);
    expect(gap.reading(35)([], 40)).toEqual([]);
  });

  test("a worker first listed by a read answered while the stream is down, that leaves before it is back, is gone too", () => {
    const gap = new StreamGap();
    gap.down([a], 10);
    // c connected during the gap; the page shows it from this read on.
    expect(gap.reading(12)([a, c], 14)).toEqual([]);
    gap.up();
    expect(gap.reading(20)([a], 30)).toEqual([{ seen: false, worker: c, from: 12, to: 30 }]);
  });

  test("a read answered while the stream is down that began before it dropped watches what it lists", () => {
    const gap = new StreamGap();
    gap.up();
    // A worker.connected event's reload, answered only after the drop.
    const onConnected = gap.reading(8);
    gap.down([a], 10);
    expect(onConnected([a, c], 11)).toEqual([]);
    gap.up();
    expect(gap.reading(20)([a], 30)).toEqual([{ seen: false, worker: c, from: 8, to: 30 }]);
  });

  test("a read that began before a drop tells nothing of it", () => {
    const gap = new StreamGap();
    gap.up();
    const before = gap.reading(5);
    gap.down([a], 10);
    expect(before([], 20)).toEqual([]);
  });

  test("a worker is listed once: an inferred departure is not added again, and its event, if it comes, replaces it", () => {
    const unseen = { seen: false as const, worker: b, from: 10, to: 20 };
    let gone = withUnseen([], [unseen]);
    gone = withUnseen(gone, [{ ...unseen, to: 30 }]);
    expect(gone).toEqual([unseen]);
    gone = withSeen(gone, lost(b, 25));
    expect(names(gone)).toEqual(["b:seen"]);
    // Seen first: a later read does not list it again as unseen.
    expect(names(withUnseen(gone, [unseen]))).toEqual(["b:seen"]);
  });

  test("a read that adds nothing leaves the list as it was, the same list (the page renders nothing anew)", () => {
    const gone = withUnseen([], [{ seen: false, worker: b, from: 10, to: 20 }]);
    expect(withUnseen(gone, [{ seen: false, worker: b, from: 10, to: 30 }])).toBe(gone);
    expect(withUnseen(gone, [])).toBe(gone);
  });

  test(`the newest ${GONE_MAX} are kept, however they were learnt`, () => {
    let gone: readonly GoneWorker[] = [];
    for (let i = 0; i < GONE_MAX; i++) gone = withSeen(gone, lost(worker(`w${i}`), i));
    gone = withUnseen(gone, [{ seen: false, worker: worker("late"), from: 100, to: 110 }]);
    expect(gone).toHaveLength(GONE_MAX);
    expect(gone[0]?.worker.name).toBe("late");
    expect(gone.at(-1)?.worker.name).toBe("w1");
  });
});
