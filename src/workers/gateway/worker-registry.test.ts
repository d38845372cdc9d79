import { describe, expect, test } from "bun:test";
import type { GatewayEvent } from "../../audit/gateway-event.ts";
import { CloseCode } from "../protocol.ts";
import { fakeWorker as fake } from "../testing/fake-worker.ts";
import { workerOwner } from "./worker-owner.ts";
import { createWorkerRegistry } from "./worker-registry.ts";

function setup() {
  let clock = 1_000;
  const events: GatewayEvent[] = [];
  const registry = createWorkerRegistry({
    now: () => clock,
    onEvent: (e) => events.push(e),
    heartbeatMs: 100,
    heartbeatTimeoutMs: 300,
  });
  return { registry, events, advance: (ms: number) => (clock += ms) };
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
    expect(registry.serves("llama", "team-a")).toBe(true);
    expect(registry.serves("llama", "team-c")).toBe(false);
    expect(registry.models("team-b")).toEqual([]);
    expect(registry.models("team-a")).toEqual(["llama"]);
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

  test("workers whose heartbeats stop are removed after the timeout", () => {
    const { registry, events, advance } = setup();
    const quiet = fake("quiet");
    const chatty = fake("chatty");
    registry.add(quiet);
    registry.add(chatty);
    advance(250);
    registry.touch(chatty);
    registry.sweep();
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

  test("models lists what non-draining workers serve", () => {
    const { registry } = setup();
    registry.add(fake("a", { models: ["x", "y"] }));
    const b = fake("b", { models: ["z"] });
    b.draining = true;
    registry.add(b);
    expect(registry.models()).toEqual(["x", "y"]);
    expect(registry.serves("z")).toBe(false);
    registry.close();
  });
});
