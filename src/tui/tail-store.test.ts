import { describe, expect, test } from "bun:test";
import { steppedWallClock } from "../testing/stepped-clocks.ts";
import { parseTailEvent, type TailEvent } from "./tail-event.ts";
import { TailStore } from "./tail-store.ts";
import { finishedEvent, worker } from "./testing/fixtures.ts";

const T0 = 1_700_000_000_000;
const tail = (event: unknown): TailEvent => {
  const parsed = parseTailEvent(JSON.stringify(event));
  if (parsed === null) throw new Error("fixture did not parse");
  return parsed.event;
};
const started = (requestId: string, frontDoor = "chat", over: Record<string, unknown> = {}) =>
  tail({
    type: "request.started",
    at: T0,
    requestId,
    keyName: "bob",
    model: "m",
    frontDoor,
    stream: false,
    ...over,
  });

describe("TailStore", () => {
  test("a finished request replaces its in-flight row in place", () => {
    const store = new TailStore(10, () => T0);
    store.apply(started("a"));
    store.apply(started("b"));
    expect(store.rows().map((r) => [r.requestId, r.status])).toEqual([
      ["b", null],
      ["a", null],
    ]);
    store.apply(tail(finishedEvent({ requestId: "a", status: 502 })));
    expect(store.rows().map((r) => [r.requestId, r.status])).toEqual([
      ["b", null],
      ["a", 502],
    ]);
    // One row a request, its start and finish one: what a pause counts as new from `nextSeq`.
    expect(store.nextSeq).toBe(2);
    // Held by the store's own number for it: `a`'s row is the first.
    expect(store.row(0)?.record?.status).toBe(502);
    expect(store.row(99)).toBeUndefined();
    expect(store.stats().count).toBe(1);
  });

  test("the tail's own calls are hidden by the ids it sent them with, stats included; a client that says it is the tail is not", () => {
    const store = new TailStore(10, () => T0);
    const poll = store.ownCalls.mint();
    expect(poll).toMatch(/^mindgw-tail-[0-9a-f-]{36}$/);
    store.apply(tail(finishedEvent({ requestId: poll, frontDoor: "admin", userAgent: "mindgw-tail" })));
    // Any client may send the tail's user agent: its model calls are shown and counted.
    store.apply(tail(finishedEvent({ requestId: "sneaky", userAgent: "mindgw-tail/evil", status: 500 })));
    store.apply(tail(finishedEvent({ requestId: "app", userAgent: "openai-node" })));
    // An id of the tail's own is taken once, and for a call of the admin API alone.
    const next = store.ownCalls.mint();
    store.apply(tail(finishedEvent({ requestId: next, frontDoor: "chat" })));
    store.apply(tail(finishedEvent({ requestId: poll, frontDoor: "admin" })));
    expect(store.rows().map((r) => r.requestId)).toEqual([poll, next, "app", "sneaky"]);
    expect(store.stats()).toMatchObject({ count: 3, errorRate5xx: 1 / 3 });
  });

  test("requests that share a request id are rows of their own, each finished on its own", () => {
    // A backend passing its inbound id to calls it fans out; another tenant's caller with the same id.
    const store = new TailStore(10, () => T0);
    const alice = { keyId: "key_a", keyName: "alice" };
    const bob = { keyId: "key_b", keyName: "bob" };
    store.apply(started("job-42", "chat", { ...alice, at: T0 }));
    store.apply(started("job-42", "chat", { ...alice, at: T0 + 5 }));
    // At the same moment as alice's second: told apart by its caller.
    store.apply(started("job-42", "chat", { ...bob, at: T0 + 5 }));
    expect(store.rows()).toHaveLength(3);
    store.apply(tail(finishedEvent({ requestId: "job-42", ...bob, startedAt: T0 + 5, status: 502 })));
    store.apply(tail(finishedEvent({ requestId: "job-42", ...alice, startedAt: T0, status: 200 })));
    expect(store.rows().map((r) => [r.keyName, r.startedAt - T0, r.status])).toEqual([
      ["bob", 5, 502],
      ["alice", 5, null],
      ["alice", 0, 200],
    ]);
    store.apply(tail(finishedEvent({ requestId: "job-42", ...alice, startedAt: T0 + 5, status: 429 })));
    expect(store.rows().map((r) => [r.seq, r.keyName, r.status])).toEqual([
      [2, "bob", 502],
      [1, "alice", 429],
      [0, "alice", 200],
    ]);
    expect(store.row(1)?.record?.status).toBe(429);
    expect(store.stats().count).toBe(3);
  });

  test("the admin API's own calls are apart: in the rows (marked), out of the figures unless asked for", () => {
    const store = new TailStore(10, () => T0);
    store.apply(started("ui-poll", "admin"));
    store.apply(
      tail(finishedEvent({ requestId: "ui-poll", frontDoor: "admin", status: 200, latencyMs: 4090 })),
    );
    store.apply(tail(finishedEvent({ requestId: "app", frontDoor: "chat", status: 502, latencyMs: 80 })));
    expect(store.rows().map((r) => [r.requestId, r.admin])).toEqual([
      ["app", false],
      ["ui-poll", true],
    ]);
    // The admin call's slow 200 neither dilutes the 5xx share nor becomes the p95.
    expect(store.stats()).toMatchObject({ count: 1, errorRate5xx: 1, p95Ms: 80 });
    expect(store.stats(true)).toMatchObject({ count: 2, errorRate5xx: 0.5, p95Ms: 4090 });
  });

  test("rows stay bounded at 1,000s of events", () => {
    const store = new TailStore(100, () => T0);
    for (let i = 0; i < 5000; i++) store.apply(tail(finishedEvent({ requestId: `r${i}` })));
    const rows = store.rows();
    expect(rows.length).toBe(100);
    expect(rows[0]?.requestId).toBe("r4999");
    // A late finish for an evicted request comes back as a new row.
    store.apply(tail(finishedEvent({ requestId: "r0" })));
    expect(store.rows()[0]?.requestId).toBe("r0");
  });

  test("workers come from the list and from events", () => {
    const store = new TailStore(10, () => T0);
    store.setWorkers([worker({ id: "1", name: "b" }), worker({ id: "2", name: "a" })]);
    store.apply(
      tail({ type: "worker.lost", at: T0, worker: worker({ id: "1", name: "b" }), reason: "gone" }),
    );
    store.apply(tail({ type: "worker.connected", at: T0, worker: worker({ id: "3", name: "c" }) }));
    expect(store.workers().map((w) => [w.name, w.gone])).toEqual([
      ["a", null],
      ["b", { how: "lost", reason: "gone" }],
      ["c", null],
    ]);
  });

  test("a worker that left once its drain was over reads left, not lost, until the next list drops it", () => {
    const store = new TailStore(10, () => T0);
    const leaving = worker({ id: "1", name: "a", draining: true, inFlight: 1 });
    const cut = worker({ id: "2", name: "b", draining: true });
    const older = worker({ id: "3", name: "c", draining: true });
    store.setWorkers([leaving, cut, older]);
    const before = store.version;
    store.apply(
      tail({
        type: "worker.lost",
        at: T0,
        worker: leaving,
        reason: "connection closed (1000 drained)",
        drained: true,
      }),
    );
    // b's drain was cut short (its heartbeats stopped): a loss all the same; an older gateway's
    // event (c's) does not say, and reads as one.
    store.apply(
      tail({ type: "worker.lost", at: T0, worker: cut, reason: "heartbeat timeout", drained: false }),
    );
    store.apply(tail({ type: "worker.lost", at: T0, worker: older, reason: "connection closed (1000)" }));
    expect(store.workers().map((w) => [w.name, w.gone, w.inFlight])).toEqual([
      ["a", { how: "left", reason: "connection closed (1000 drained)" }, 0],
      ["b", { how: "lost", reason: "heartbeat timeout" }, 0],
      ["c", { how: "lost", reason: "connection closed (1000)" }, 0],
    ]);
    expect(store.version).toBeGreaterThan(before);
    store.setWorkers([]);
    expect(store.workers()).toEqual([]);
  });

  test("a workers list read before a worker's event does not undo it: a worker just lost stays gone, a drain just announced stays", () => {
    const store = new TailStore(10, () => T0);
    const a = worker({ id: "1", name: "a", draining: true });
    const b = worker({ id: "2", name: "b" });
    const c = worker({ id: "3", name: "c" });
    store.setWorkers([a, b, c]);
    // A read goes out; a leaves, b drains and d connects before its answer, which lists them as
    // they were when the gateway read them.
    const sentAt = store.workersMark();
    store.apply(tail({ type: "worker.lost", at: T0, worker: a, reason: "drained", drained: true }));
    store.apply(tail({ type: "worker.draining", at: T0, worker: { ...b, draining: true } }));
    const d = worker({ id: "4", name: "d" });
    store.apply(tail({ type: "worker.connected", at: T0, worker: d }));
    store.setWorkers([a, b, c], sentAt);
    expect(store.workers().map((w) => [w.name, w.gone, w.draining])).toEqual([
      ["a", { how: "left", reason: "drained" }, true],
      ["b", null, true],
      ["c", null, undefined],
      ["d", null, undefined],
    ]);
    // The next read, sent after those events, is the list again: a gone, the others as it says.
    store.setWorkers([{ ...b, draining: true }, d], store.workersMark());
    expect(store.workers().map((w) => [w.name, w.gone])).toEqual([
      ["b", null],
      ["d", null],
    ]);
  });

  test("a worker's drain is shown as it is announced, not at the next list", () => {
    const store = new TailStore(10, () => T0);
    store.setWorkers([worker({ id: "1", name: "a" })]);
    const before = store.version;
    store.apply(
      tail({ type: "worker.draining", at: T0, worker: worker({ id: "1", name: "a", draining: true }) }),
    );
    expect(store.workers().map((w) => [w.name, w.draining, w.gone])).toEqual([["a", true, null]]);
    expect(store.version).toBeGreaterThan(before);
  });

  test("a connected worker's models changing (its key narrowed) is shown at once, the same worker in its place", () => {
    const store = new TailStore(10, () => T0);
    store.setWorkers([worker({ id: "1", name: "a", models: ["llama", "qwen"] })]);
    store.apply(
      tail({ type: "worker.changed", at: T0, worker: worker({ id: "1", name: "a", models: ["llama"] }) }),
    );
    expect(store.workers().map((w) => [w.name, w.models, w.gone])).toEqual([["a", ["llama"], null]]);
  });

  test("notices and missed counts", () => {
    const store = new TailStore(10, () => T0);
    const before = store.version;
    store.apply(tail({ type: "events.missed", at: T0, count: 7 }));
    store.apply(tail({ type: "config.rejected", at: T0, error: "models[0]: bad" }));
    expect(store.missed).toBe(7);
    expect(store.notice).toContain("models[0]: bad");
    expect(store.version).toBeGreaterThan(before);
  });

  test("a rejection with several problems is one line: the first, and how many more", () => {
    const store = new TailStore(10, () => T0);
    const error =
      "models[0].name: required\nproviders[1].type: unknown \u001b[2Jtype\nserver.port: too big\n";
    store.apply(tail({ type: "config.rejected", at: T0, error }));
    expect(store.notice).toEndWith("config edit rejected: models[0].name: required (+2 more)");
    store.apply(tail({ type: "config.rejected", at: T0, error: "k\u001b]0;x\u0007: unknown field" }));
    expect(store.notice).toEndWith("config edit rejected: k\\u001b]0;x\\u0007: unknown field");
  });

  test("a reload that needs a restart says so, not only reloaded", () => {
    const store = new TailStore(10, () => T0);
    store.apply(
      tail({ type: "config.reloaded", at: T0, version: 5, restartRequired: ["server.port", "apps"] }),
    );
    expect(store.notice).toEndWith(
      "restart required for: server.port, apps (config v5 reloaded, these still as at start)",
    );
    store.apply(tail({ type: "config.reloaded", at: T0, version: 6, restartRequired: [] }));
    expect(store.notice).toEndWith("config v6 reloaded");
    store.apply(tail({ type: "config.reloaded", at: T0, version: 7 })); // an older gateway
    expect(store.notice).toEndWith("config v7 reloaded");
  });

  test("an edit of restart-only settings alone is no reload: nothing applied, the version serving named", () => {
    const store = new TailStore(10, () => T0);
    store.apply(tail({ type: "config.restart_required", at: T0, version: 4, restartRequired: ["log"] }));
    expect(store.notice).toEndWith("restart required for: log (config edit not applied, v4 serves on)");
  });

  test("an edit that undoes a rejected or restart-only one clears the notice", () => {
    const store = new TailStore(10, () => T0);
    store.apply(tail({ type: "config.rejected", at: T0, error: "bogus_top: unknown field" }));
    expect(store.notice).toContain("config edit rejected");
    store.apply(tail({ type: "config.restored", at: T0, version: 1 }));
    expect(store.notice).toBeNull();
    store.apply(
      tail({ type: "config.restart_required", at: T0, version: 1, restartRequired: ["server.idle_timeout"] }),
    );
    expect(store.notice).toContain("restart required");
    store.apply(tail({ type: "config.restored", at: T0, version: 1 }));
    expect(store.notice).toBeNull();
  });

  test("a rejected edit undone while restart-only edits wait: the rejection is over, the restart still named", () => {
    const store = new TailStore(10, () => T0);
    store.apply(tail({ type: "config.restart_required", at: T0, version: 1, restartRequired: ["log"] }));
    store.apply(tail({ type: "config.rejected", at: T0, error: "bogus: unknown field" }));
    store.apply(tail({ type: "config.restored", at: T0, version: 1, restartRequired: ["log"] }));
    expect(store.notice).toEndWith("restart required for: log (rejected config edit undone, v1 serves on)");
  });

  test("the last minute's figures hold through a step of the wall clock (NTP, a VM resumed): a step back of 10 minutes drops none", () => {
    const wall = steppedWallClock();
    try {
      const store = new TailStore(10);
      store.apply(tail(finishedEvent({ requestId: "a", status: 200 })));
      store.apply(tail(finishedEvent({ requestId: "b", status: 503 })));
      wall.step(-600_000);
      const { count, errorRate5xx } = store.stats(true);
      expect({ count, errorRate5xx }).toEqual({ count: 2, errorRate5xx: 0.5 });
    } finally {
      wall.restore();
    }
  });
});
