import { expect, test } from "bun:test";
import { selectEvent } from "./run-json.ts";
import { cellText } from "./table-layout.ts";
import { parseTailEvent, type TailEvent } from "./tail-event.ts";
import { TailStore } from "./tail-store.ts";
import { finishedEvent } from "./testing/fixtures.ts";

// A cluster node killed with requests in flight: no finish ever comes for them, and their rows read
// in flight for ever, until the node's leaving (`node.left`, told by the node the tail reads once its
// directory drops the dead one) ends them as lost. The e2e: test/e2e/cluster-node-kill.test.ts.

const T0 = 1_700_000_000_000;
const tail = (event: unknown): TailEvent => {
  const parsed = parseTailEvent(JSON.stringify(event));
  if (parsed === null) throw new Error("fixture did not parse");
  return parsed.event;
};
const started = (requestId: string, node?: string, instance?: string) =>
  tail({
    type: "request.started",
    at: T0,
    requestId,
    keyName: "bob",
    model: "m",
    frontDoor: "chat",
    stream: true,
    ...(node === undefined ? {} : { node }),
    ...(instance === undefined ? {} : { instance }),
  });

test("a node's leaving ends its requests in flight as lost, no other node's, and a finish that still comes replaces the row", () => {
  const store = new TailStore(10, () => T0);
  store.apply(started("on-a", "a"));
  store.apply(started("on-b", "b"));
  store.apply(started("off-cluster"));
  store.apply(tail({ type: "node.left", at: T0, node: "a" }));
  const rows = () => store.rows().map((r) => [r.requestId, r.gap ?? null, cellText(r, "route")]);
  expect(rows()).toEqual([
    ["off-cluster", null, "…"],
    ["on-b", null, "…"],
    ["on-a", "lost", "node lost"],
  ]);
  // Its entry had only expired (cut off from Redis while it served on): its finish is the row's end.
  store.apply(tail(finishedEvent({ requestId: "on-a", status: 200 })));
  const ended = store.rows().find((r) => r.requestId === "on-a");
  expect([ended?.status, ended?.gap, ended?.seq]).toEqual([200, undefined, 0]);
});

test("an event of an older gateway, with no node on its starts, leaves every row as it was", () => {
  const store = new TailStore(10, () => T0);
  store.apply(started("x"));
  store.apply(tail({ type: "node.left", at: T0, node: "a" }));
  expect(store.rows()[0]?.gap).toBeUndefined();
});

// A node killed and started again under the same id: its old instance left (node.left naming it),
// and the new one's requests, under the same node, are in flight as ever.
test("a node's leaving that names its instance ends only that instance's rows; a row without one (an older gateway's) ends too", () => {
  const store = new TailStore(10, () => T0);
  store.apply(started("old", "a", "a1"));
  store.apply(started("older-gateway", "a"));
  store.apply(started("new", "a", "a2"));
  store.apply(tail({ type: "node.left", at: T0, node: "a", instance: "a1" }));
  expect(store.rows().map((r) => [r.requestId, r.gap ?? null])).toEqual([
    ["new", null],
    ["older-gateway", "lost"],
    ["old", "lost"],
  ]);
});

// A gap after the node left (events.missed, the stream dropped and live again) may hide a finish
// of any row, but of a lost row's none: "node lost" and its note stay.
test("a later gap in the events leaves a row already lost as lost", () => {
  const store = new TailStore(10, () => T0);
  store.apply(started("on-a", "a"));
  store.apply(started("on-b", "b"));
  store.apply(tail({ type: "node.left", at: T0, node: "a" }));
  store.apply(tail({ type: "events.missed", at: T0, count: 3 }));
  store.setStatus({ state: "live", since: T0 });
  store.setStatus({ state: "reconnecting", retryAt: T0, attempt: 1, reason: "closed" });
  store.setStatus({ state: "live", since: T0 });
  expect(store.rows().map((r) => [r.requestId, r.gap ?? null, cellText(r, "route")])).toEqual([
    ["on-b", "dropped", "…"],
    ["on-a", "lost", "node lost"],
  ]);
});

test("the nodes that did not answer as the stream opened are said on one line of their own, apart from the config notice, each until its node.left; --json passes them whatever the filters", () => {
  const store = new TailStore(10, () => T0);
  store.apply(tail({ type: "config.reloaded", at: T0, version: 3 }));
  store.apply(tail({ type: "node.unanswered", at: T0, node: "gone-1" }));
  store.apply(tail({ type: "node.unanswered", at: T0, node: "slow-2" }));
  expect(store.unansweredNotice).toEndWith(
    " nodes gone-1, slow-2 did not answer as the stream opened (killed, or slow): their requests may not show",
  );
  expect(store.notice).toEndWith(" config v3 reloaded");
  store.apply(tail({ type: "node.left", at: T0, node: "gone-1", instance: "i-1" }));
  expect(store.unansweredNotice).toEndWith(
    " node slow-2 did not answer as the stream opened (killed, or slow): its requests may not show",
  );
  store.apply(tail({ type: "node.left", at: T0, node: "slow-2" }));
  expect(store.unansweredNotice).toBeNull();
  expect(store.notice).toEndWith(" config v3 reloaded");
  expect(selectEvent({ model: "m" }, tail({ type: "node.unanswered", at: T0, node: "a" }))).toBe(true);
});

test("a reconnect clears the nodes that did not answer the stream before: the new stream names its own (live is told at its headers, before its node.unanswered)", () => {
  const store = new TailStore(10, () => T0);
  store.setStatus({ state: "live", since: T0 });
  store.apply(tail({ type: "node.unanswered", at: T0, node: "slow-b" }));
  store.apply(tail({ type: "node.unanswered", at: T0, node: "gone-c" }));
  store.setStatus({ state: "connecting", attempt: 1 });
  // Still said while the stream is away: nothing has answered otherwise.
  expect(store.unansweredNotice).toContain("nodes slow-b, gone-c did not answer");
  store.setStatus({ state: "live", since: T0 + 60_000 });
  // Every node answered the new stream's ask: slow-b is no longer named.
  expect(store.unansweredNotice).toBeNull();
  store.apply(tail({ type: "node.unanswered", at: T0 + 60_000, node: "gone-c" }));
  expect(store.unansweredNotice).toEndWith(
    " node gone-c did not answer as the stream opened (killed, or slow): its requests may not show",
  );
});
