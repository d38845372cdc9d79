import { describe, expect, test } from "bun:test";
import type { GatewayEvent } from "../../audit/gateway-event.ts";
import { CloseCode } from "../protocol.ts";
import { type FakeWorker, fakeWorker as fake } from "../testing/fake-worker.ts";
import type { WorkerLog } from "../worker-log.ts";
import { listWorkers } from "./list-workers.ts";
import { workerOwner } from "./worker-owner.ts";
import { createWorkerRegistry } from "./worker-registry.ts";
import type { WorkerRegistryOptions } from "./worker-registry-options.ts";

function setup(options: WorkerRegistryOptions = {}) {
  let clock = 1_000;
  const events: GatewayEvent[] = [];
  const logs: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: WorkerLog = (level, message, fields) =>
    logs.push({ level, message, ...(fields ? { fields } : {}) });
  const registry = createWorkerRegistry({
    now: () => clock,
    onEvent: (e) => events.push(e),
    log,
    heartbeatMs: 100,
    heartbeatTimeoutMs: 300,
    ...options,
  });
  return { registry, events, logs, advance: (ms: number) => (clock += ms) };
}

describe("worker registry", () => {
  test("a second connection under the same name replaces the first, which is closed", () => {
    const { registry, events } = setup();
    const old = fake("box");
    const newer = fake("box");
    registry.add(old);
    expect(registry.add(newer)).toEqual({ ok: true });
    expect(old.closedWith).toBe(CloseCode.replaced);
    expect(registry.list().map((w) => w.id)).toEqual([newer.id]);
    expect(events.map((e) => e.type)).toEqual(["worker.connected", "worker.lost", "worker.connected"]);
  });

  test("the replaced connection's late close does not remove the newer one", () => {
    const { registry } = setup();
    const old = fake("box");
    const newer = fake("box");
    registry.add(old);
    registry.add(newer);
    expect(registry.remove(old, "socket closed")).toBe(false);
    expect(registry.pick("m", "default")).toBe(newer);
  });

  test("a name held by another key is refused", () => {
    const { registry } = setup();
    registry.add(fake("box", { owner: "a" }));
    expect(registry.add(fake("box", { owner: "b" }))).toEqual(
      expect.objectContaining({ ok: false, reason: "name_in_use" }),
    );
  });

  test("keys of one name in two tenants are two owners: the second is refused, the first kept", () => {
    const { registry } = setup();
    const key = (tenant: string) => ({ credential: "key" as const, tenant, name: "gpu-a" });
    const first = fake("box-a", { owner: workerOwner(key("team-a")) });
    registry.add(first);
    const intruder = fake("box-a", { owner: workerOwner(key("team-b")) });
    expect(registry.add(intruder)).toEqual(expect.objectContaining({ ok: false, reason: "name_in_use" }));
    // Nor does a JWT whose subject is the key's name, in the key's own tenant.
    const jwt = fake("box-a", { owner: workerOwner({ ...key("team-a"), credential: "jwt" }) });
    expect(registry.add(jwt)).toEqual(expect.objectContaining({ ok: false, reason: "name_in_use" }));
    expect(first.closedWith).toBeUndefined();
    expect(registry.get("box-a")).toBe(first);
    // The same key name in the same tenant (a rotated key: a new id) takes the name over.
    const rotated = fake("box-a", { owner: workerOwner(key("team-a")) });
    expect(registry.add(rotated)).toEqual({ ok: true });
    expect(first.closedWith).toBe(CloseCode.replaced);
  });

  test("a caller's tenant is routed to its own workers and the default tenant's, never another's", () => {
    const { registry } = setup();
    const a = fake("box-a", { tenant: "team-a", models: ["llama"] });
    const b = fake("box-b", { tenant: "team-b", models: ["llama"] });
    const shared = fake("shared", { models: ["llama", "small"] });
    for (const w of [a, b, shared]) registry.add(w);
    const picks = Array.from({ length: 6 }, () => registry.pick("llama", "team-a")?.name);
    expect(new Set(picks)).toEqual(new Set(["box-a", "shared"]));
    expect(registry.pick("llama", "team-a", "box-b")?.name).not.toBe("box-b");
    expect(registry.pick("llama", "default")).toBe(shared);
    b.draining = true;
    shared.draining = true;
    // Draining, their models still exist for the callers they serve; only no request is sent them.
    expect(registry.serves("llama", "team-a")).toBe(true);
    expect(registry.serves("llama", "team-c")).toBe(true);
    expect(registry.pick("llama", "team-c")).toBeUndefined();
    expect(registry.models("team-b")).toEqual(["llama", "small"]);
    expect(registry.models("team-a")).toEqual(["llama", "small"]);
    // Without a tenant (a metrics label), any worker counts.
    expect(registry.serves("llama")).toBe(true);
    expect(registry.list().map((w) => [w.name, w.tenant])).toEqual([
      ["box-a", "team-a"],
      ["box-b", "team-b"],
      ["shared", "default"],
    ]);
    registry.close();
  });

  test("least busy by load ratio; full and draining workers are skipped; ties alternate", () => {
    const { registry } = setup();
    const busy = fake("busy", { inFlight: 2, capacity: 4 });
    const idle = fake("idle", { inFlight: 1, capacity: 8 });
    const full = fake("full", { inFlight: 1, capacity: 1 });
    const draining = fake("draining");
    draining.draining = true;
    for (const w of [busy, idle, full, draining]) registry.add(w);
    expect(registry.pick("m", "default")).toBe(idle);
    idle.inFlight = 4;
    expect(registry.pick("m", "default")).toBe(busy);
    expect(registry.pick("other", "default")).toBeUndefined();
    const { registry: r2 } = setup();
    const a = fake("a");
    const b = fake("b");
    r2.add(a);
    r2.add(b);
    const pick = () => r2.pick("m", "default")?.name;
    expect([pick(), pick(), pick()]).toEqual(["a", "b", "a"]);
  });

  test("keepFree: only a worker with that many slots free beside the one taken (a shadow copy's pick)", () => {
    const { registry } = setup();
    const last = fake("last", { inFlight: 1, capacity: 2 });
    const roomy = fake("roomy", { inFlight: 2, capacity: 4 });
    registry.add(last);
    registry.add(roomy);
    expect(registry.pick("m", "default")).toBe(last);
    expect(registry.pick("m", "default", undefined, 1)).toBe(roomy);
    expect(registry.pick("m", "default", "last", 1)).toBe(roomy);
    roomy.inFlight = 3;
    expect(registry.pick("m", "default", undefined, 1)).toBeUndefined();
    expect(registry.pick("m", "default")).toBeDefined();
  });

  test("workers whose heartbeats stop are removed after the timeout", () => {
    const { registry, events, advance } = setup();
    const quiet = fake("quiet");
    const chatty = fake("chatty");
    registry.add(quiet);
    registry.add(chatty);
    // Swept every 50 ms, each on time (a sweep two periods late would judge nothing: late-tick.ts).
    for (let at = 0; at < 250; at += 50) {
      advance(50);
      registry.touch(chatty);
      registry.sweep();
    }
    expect(registry.list()).toHaveLength(2);
    advance(100);
    registry.sweep();
    expect(registry.list().map((w) => w.name)).toEqual(["chatty"]);
    expect(quiet.closedWith).toBe(CloseCode.heartbeatTimeout);
    expect(events.at(-1)).toEqual(
      expect.objectContaining({ type: "worker.lost", reason: "heartbeat timeout" }),
    );
    registry.close();
  });

  test("a gateway whose sweeps all come late (its event loop lags past two periods) still removes a silent worker", () => {
    const { registry, advance } = setup();
    const box = fake("box");
    registry.add(box);
    // Every sweep 150 ms after the one before (three periods): only one in a row judges nothing.
    for (let sweep = 0; sweep < 4 && registry.list().length > 0; sweep++) {
      advance(150);
      registry.sweep();
    }
    expect(registry.list()).toEqual([]);
    expect(box.closedWith).toBe(CloseCode.heartbeatTimeout);
    registry.close();
  });

  test("a sweep that comes late (the gateway was paused) removes nobody: the heartbeats that waited are read first", () => {
    const { registry, advance } = setup();
    const box = fake("box");
    registry.add(box);
    advance(50);
    registry.sweep();
    // Paused for longer than the timeout (300): the sweep runs first on resume, before the socket
    // is read, and the clock says the worker has been silent for 350.
    advance(300);
    registry.sweep();
    expect(registry.list().map((w) => w.name)).toEqual(["box"]);
    // Its heartbeat, queued during the pause, is read; the next sweep, on time, keeps it.
    registry.touch(box);
    advance(50);
    registry.sweep();
    expect(registry.list().map((w) => w.name)).toEqual(["box"]);
    // A worker that is silent still is removed by the sweep on time after a late one.
    advance(300);
    registry.sweep();
    advance(50);
    registry.sweep();
    expect(registry.list()).toEqual([]);
    expect(box.closedWith).toBe(CloseCode.heartbeatTimeout);
  });

  test("a worker's key narrowed or widened while connected changes what it is routed, told as worker.changed", () => {
    const served: string[][] = [];
    const causes: string[] = [];
    const { registry, events, logs } = setup({
      newlyServed: (_, models, cause) => served.push([...models]) && causes.push(cause),
    });
    const box = fake("box", { models: ["llama", "qwen"] });
    registry.add(box);
    expect(served).toEqual([["llama", "qwen"]]);
    let watched = 0;
    registry.watch(() => watched++);
    registry.serveOnly(box, ["llama"]);
    expect(registry.pick("qwen", "default")).toBeUndefined();
    expect(registry.whyNone("qwen", "default")).toBe("not_served");
    expect(registry.models()).toEqual(["llama"]);
    expect(registry.pick("llama", "default")).toBe(box);
    expect(logs.at(-1)).toEqual({
      level: "warn",
      message: "worker's key no longer permits some of its models: they are no longer routed to it",
      fields: { worker: "box", models: ["qwen"] },
    });
    expect(events.at(-1)).toEqual(
      // Not a connection: a consumer counting `worker.connected` counts none here.
      expect.objectContaining({
        type: "worker.changed",
        worker: expect.objectContaining({ models: ["llama"] }),
      }),
    );
    expect(watched).toBe(1);
    // The same list again changes nothing.
    registry.serveOnly(box, ["llama"]);
    expect([events.length, watched]).toEqual([2, 1]);
    // Widened again: qwen is routed to it, a model it newly serves.
    registry.serveOnly(box, ["llama", "qwen"]);
    expect(registry.pick("qwen", "default")).toBe(box);
    expect(served).toEqual([["llama", "qwen"], ["qwen"]]);
    expect(causes).toEqual(["registered", "key_widened"]);
    expect(watched).toBe(2);
    // A draining worker newly serves nothing: it takes no new request, a probe least of all.
    registry.serveOnly(box, ["llama"]);
    registry.drain(box);
    registry.serveOnly(box, ["llama", "qwen"]);
    expect(served).toHaveLength(2);
    registry.close();
  });

  test("only a worker new to its name newly serves its models: the same worker registering again over its connection does not", () => {
    const served: string[][] = [];
    const { registry } = setup({ newlyServed: (_, models) => served.push([...models]) });
    registry.add(fake("box", { models: ["llama"] }));
    registry.add(fake("box", { models: ["llama", "qwen"] }));
    expect(served).toEqual([["llama"], ["qwen"]]);
    const other = fake("other", { models: ["llama"] });
    registry.add(other);
    registry.remove(other, "connection closed (1000 drained)", true);
    // Back after its connection ended (a restart, say): a worker the route has not tried since.
    registry.add(fake("other", { models: ["llama"] }));
    expect(served).toEqual([["llama"], ["qwen"], ["llama"], ["llama"]]);
    registry.close();
  });

  test("a worker's own close with requests in flight (its drain deadline passed) is a warning, and no drain", () => {
    const { registry, logs, events } = setup();
    const box = fake("box", { inFlight: 2 });
    registry.add(box);
    registry.drain(box);
    registry.remove(box, "connection closed (1000 drain deadline passed with 2 in flight)", true);
    expect(logs.at(-1)).toEqual({
      level: "warn",
      message: "worker disconnected with requests in flight: they were cut",
      fields: {
        worker: "box",
        id: box.id,
        reason: "connection closed (1000 drain deadline passed with 2 in flight)",
        in_flight: 2,
      },
    });
    expect(events.at(-1)).toEqual(expect.objectContaining({ type: "worker.lost", drained: false }));
  });

  test("the gateway's stop closes every worker, each logged as disconnected at info, not as lost", () => {
    const { registry, logs, events } = setup();
    const box = fake("box");
    registry.add(box);
    registry.close();
    expect(box.closedWith).toBe(CloseCode.goingAway);
    expect(logs.at(-1)).toEqual({
      level: "info",
      message: "worker disconnected: the gateway is stopping",
      fields: { worker: "box", id: box.id },
    });
    expect(logs.some((line) => line.message === "worker lost")).toBe(false);
    expect(events.at(-1)).toEqual(
      expect.objectContaining({ type: "worker.lost", reason: "gateway shutting down" }),
    );
    // The listener's cut of the same connection comes after: nothing more is said.
    expect(registry.remove(box, "connection closed (1001 Server closed)")).toBe(false);
  });

  test("a draining worker's models still exist, listed and served, but it is never picked", () => {
    const { registry } = setup();
    registry.add(fake("a", { models: ["x", "y"] }));
    const b = fake("b", { models: ["z"] });
    b.draining = true;
    registry.add(b);
    expect(registry.models()).toEqual(["x", "y", "z"]);
    expect(registry.serves("z", "default")).toBe(true);
    expect(registry.pick("z", "default")).toBeUndefined();
    registry.close();
  });

  test("a drain is logged once and told to the watchers and the live stream (`worker.draining`), as a worker connecting or leaving is (a cluster node republishes its workers)", () => {
    const { registry, logs, events } = setup();
    let told = 0;
    registry.watch(() => told++);
    const box = fake("box", { models: ["m"] });
    registry.add(box);
    expect(told).toBe(1);
    registry.drain(box);
    registry.drain(box);
    expect([box.draining, told]).toEqual([true, 2]);
    expect(logs.filter((l) => l.message === "worker draining")).toEqual([
      { level: "info", message: "worker draining", fields: { worker: "box" } },
    ]);
    expect(events.filter((e) => e.type === "worker.draining")).toEqual([
      {
        type: "worker.draining",
        at: 1_000,
        worker: expect.objectContaining({ name: "box", draining: true }),
      },
    ]);
    expect(registry.pick("m", "default")).toBeUndefined();
    registry.remove(box, "connection closed (1000)", true);
    expect(told).toBe(3);
    // A replaced connection's late drain is no news: the newer one under its name is not draining.
    const old = fake("box", { models: ["m"] });
    registry.add(old);
    registry.add(fake("box", { models: ["m"] }));
    registry.drain(old);
    expect(events.filter((e) => e.type === "worker.draining")).toHaveLength(1);
    registry.close();
  });

  test("a worker that closes its connection itself once its drain is over left as it said (`drained`); one lost, or closing without a drain, did not", () => {
    const { registry, events } = setup();
    const [drained, cut, again] = [fake("drained"), fake("cut"), fake("again")];
    for (const worker of [drained, cut, again]) registry.add(worker);
    registry.drain(drained);
    registry.drain(cut);
    registry.remove(drained, "connection closed (1000 drained)", true);
    registry.remove(cut, "connection closed (1006)");
    registry.remove(again, "connection closed (1000 registering again)", true);
    expect(
      events.flatMap((e) =>
        e.type === "worker.lost" ? [[e.worker.name, e.worker.draining, e.drained]] : [],
      ),
    ).toEqual([
      ["drained", true, true],
      ["cut", true, false],
      ["again", false, false],
    ]);
  });

  test("why no worker was picked: none serves the model to the caller, all that do are draining, or one that is not is full", () => {
    const { registry } = setup();
    const leaving = fake("leaving", { models: ["m"] });
    leaving.draining = true;
    registry.add(leaving);
    registry.add(fake("theirs", { tenant: "team-b", models: ["m"], capacity: 1, inFlight: 1 }));
    expect(registry.whyNone("m", "default")).toBe("draining");
    expect(registry.whyNone("other", "default")).toBe("not_served");
    // Another tenant's full worker is the caller's neither way; its own tenant's callers are told it is full.
    expect(registry.whyNone("m", "team-b")).toBe("full");
    registry.add(fake("full", { models: ["m"], capacity: 1, inFlight: 1 }));
    expect(registry.pick("m", "default")).toBeUndefined();
    expect(registry.whyNone("m", "default")).toBe("full");
    registry.close();
  });
});

describe("worker registry: a worker whose upstream keeps failing", () => {
  const failed = (registry: ReturnType<typeof setup>["registry"], worker: FakeWorker, times: number) => {
    for (let i = 0; i < times; i++) registry.settled(worker, false);
  };

  test("is passed over after three failures in a row while another serves the model, then tried again", () => {
    const { registry, advance, logs } = setup();
    const bad = fake("bad");
    const good = fake("good", { capacity: 1 });
    registry.add(bad);
    registry.add(good);
    failed(registry, bad, 2);
    expect(registry.ejectedUntil(bad)).toBeUndefined();
    registry.settled(bad, false);
    expect(registry.ejectedUntil(bad)).toBe(1_000 + 30_000);
    expect(logs).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining("out of rotation") }),
    );
    expect([registry.pick("m", "default"), registry.pick("m", "default")]).toEqual([good, good]);
    // The healthy worker is full: the caller is told they are busy, not sent to the broken one.
    good.inFlight = 1;
    expect(registry.pick("m", "default")).toBeUndefined();
    expect(registry.serves("m", "default")).toBe(true);
    good.inFlight = 0;
    // A Responses chain it holds does not bring it back either.
    expect(registry.pick("m", "default", "bad")).toBe(good);
    // The cooldown over, it is picked again (picked longest ago); one more failure takes it out at once.
    advance(30_000);
    expect(registry.ejectedUntil(bad)).toBeUndefined();
    expect(registry.pick("m", "default")).toBe(bad);
    registry.settled(bad, false);
    expect(registry.ejectedUntil(bad)).toBe(1_000 + 60_000);
    // An answer puts it back in rotation.
    registry.settled(bad, true);
    expect(registry.ejectedUntil(bad)).toBeUndefined();
    expect(logs).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining("back in rotation") }),
    );
    failed(registry, bad, 2);
    expect(registry.ejectedUntil(bad)).toBeUndefined();
    registry.close();
  });

  test("failures that are not in a row take no worker out", () => {
    const { registry } = setup();
    const flaky = fake("flaky");
    registry.add(flaky);
    for (let i = 0; i < 5; i++) {
      failed(registry, flaky, 2);
      registry.settled(flaky, true);
    }
    expect(registry.ejectedUntil(flaky)).toBeUndefined();
    registry.close();
  });

  test("is still picked when no other worker serves the model: the caller gets its error at once", () => {
    const { registry } = setup();
    const alone = fake("alone", { models: ["m", "x"] });
    const other = fake("other", { models: ["x"] });
    registry.add(alone);
    registry.add(other);
    failed(registry, alone, 3);
    expect(registry.pick("m", "default")).toBe(alone);
    expect(registry.pick("x", "default")).toBe(other);
    // Nor by another tenant's worker, which the caller may not use.
    const theirs = fake("theirs", { tenant: "team-b" });
    registry.add(theirs);
    expect(registry.pick("m", "team-a")).toBe(alone);
    registry.close();
  });

  test("is listed with the time it comes back", () => {
    const { registry } = setup();
    const bad = fake("bad");
    registry.add(bad);
    registry.add(fake("good"));
    failed(registry, bad, 3);
    expect(listWorkers(registry, null).workers.map((w) => [w.name, w.ejectedUntil])).toEqual([
      ["bad", 31_000],
      ["good", undefined],
    ]);
    registry.close();
  });
});

describe("worker registry: models the config routes elsewhere", () => {
  test("are named in a warning at registration and in the listing", () => {
    const { registry, logs } = setup({
      shadowedModels: (w) => w.models.filter((m) => m.startsWith("llama-")),
    });
    registry.add(fake("box", { models: ["llama-3", "free"] }));
    registry.add(fake("plain", { models: ["free"] }));
    expect(logs).toContainEqual({
      level: "warn",
      message: expect.stringContaining("the config routes elsewhere"),
      fields: { worker: "box", models: ["llama-3"] },
    });
    expect(logs.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(listWorkers(registry, null).workers.map((w) => [w.name, w.shadowedByConfig])).toEqual([
      ["box", ["llama-3"]],
      ["plain", undefined],
    ]);
    registry.close();
  });
});

describe("worker registry: listing by tenant", () => {
  test("an admin in a tenant lists its tenant's workers and the platform's", () => {
    const { registry } = setup();
    registry.add(fake("a", { tenant: "team-a" }));
    registry.add(fake("b", { tenant: "team-b" }));
    registry.add(fake("shared"));
    const names = (scope: string | null) => listWorkers(registry, scope).workers.map((w) => w.name);
    expect(names("team-a")).toEqual(["a", "shared"]);
    expect(names("team-c")).toEqual(["shared"]);
    expect(names(null)).toEqual(["a", "b", "shared"]);
    registry.close();
  });
});
