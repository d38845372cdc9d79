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
    const read = gap.reading();
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
    const early = gap.reading();
    gap.up();
    expect(early([a, b], 20).map((u) => u.worker.name)).toEqual(["c"]);
    // That read began before the stream was back: a worker may have left between it and the connect.
    const after = gap.reading();
    expect(after([a], 30).map((u) => [u.worker.name, u.from, u.to])).toEqual([
      ["b", 10, 30],
      ["c", 10, 30],
    ]);
    // The gap is covered: later reads tell nothing, the events do.
    expect(gap.reading()([], 40)).toEqual([]);
  });

  test("a read that began before a drop tells nothing of it", () => {
    const gap = new StreamGap();
    gap.up();
    const before = gap.reading();
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

  test(`the newest ${GONE_MAX} are kept, however they were learnt`, () => {
    let gone: GoneWorker[] = [];
    for (let i = 0; i < GONE_MAX; i++) gone = withSeen(gone, lost(worker(`w${i}`), i));
    gone = withUnseen(gone, [{ seen: false, worker: worker("late"), from: 100, to: 110 }]);
    expect(gone).toHaveLength(GONE_MAX);
    expect(gone[0]?.worker.name).toBe("late");
    expect(gone.at(-1)?.worker.name).toBe("w1");
  });
});
