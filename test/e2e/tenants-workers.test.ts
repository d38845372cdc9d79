import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { spawnWorker, tailEvents, waitForWorkers } from "./harness/spawn-worker.ts";
import { tenantsGateway } from "./harness/tenants-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// Tenants through the compiled binary: an admin key in a tenant sees only the workers its tenant
// may use, on /admin/api/workers, /admin/api/status and its event stream.

const { fx, chat, key, get } = tenantsGateway();
let gw: GatewayProcess;
beforeAll(() => {
  gw = fx.gw;
});

describe("an admin key in a tenant sees only the workers its tenant may use", () => {
  test("/admin/api/workers lists its tenant's and the platform's; /admin/api/status leaves out the gateway-wide part; its event stream tells of those workers alone", async () => {
    const aAdmin = (await createKey(gw, { name: "workers-a", tenant: "team-a", role: "admin" })).key;
    const bAdmin = (await createKey(gw, { name: "workers-b", tenant: "team-b", role: "admin" })).key;
    const bMember = await key("events-member-b", "team-b");
    const [aEvents, bEvents, memberEvents] = await Promise.all([
      tailEvents(gw.url, aAdmin),
      tailEvents(gw.url, bAdmin),
      tailEvents(gw.url, bMember),
    ]);
    fx.deferTest(() => {
      for (const tail of [aEvents, bEvents, memberEvents]) tail.close();
    });
    const worker = async (name: string, tenant?: string) => {
      const token = (
        await createKey(gw, { name, ...(tenant ? { tenant } : {}), role: "worker", models: ["*"] })
      ).key;
      const started = spawnWorker({
        gateway: gw.url,
        token,
        upstream: `${fx.fake.url}/v1`,
        name,
        models: ["box-model"],
      });
      fx.deferTest(() => started.stop("SIGKILL"));
    };
    await worker("platform-box");
    await worker("box-b", "team-b");
    const admin = gw.adminKey ?? "";
    await waitForWorkers(gw.url, admin, ["box-b", "platform-box"]);
    const connected = (tail: typeof aEvents) =>
      tail.events.filter((e) => e.type === "worker.connected").map((e) => e.worker?.name);
    // team-b's stream hears of both. Every stream carries the bus's events in one order: once a
    // request of team-a's is on team-a's stream, box-b's arrival (before it) would be too.
    await waitFor("team-b's admin told of both workers", () => connected(bEvents).length === 2 || undefined);
    // (Served or refused by team-a's rpm, the request is audited all the same.)
    await (await chat(await key("events-a", "team-a"))).arrayBuffer();
    await waitFor(
      "team-a's request on its admin's stream",
      () => aEvents.events.some((e) => e.type === "request.finished") || undefined,
    );
    expect(connected(bEvents).sort()).toEqual(["box-b", "platform-box"]);
    // A member who is no admin reads no workers, here or at /admin/api/workers.
    await (await chat(bMember)).arrayBuffer();
    await waitFor(
      "team-b's request on its member's stream",
      () => memberEvents.events.some((e) => e.type === "request.finished") || undefined,
    );
    expect(connected(memberEvents)).toEqual([]);
    expect(connected(aEvents)).toEqual(["platform-box"]);
    type Workers = { workers: { name: string; tenant: string }[] };
    const names = async (token: string) =>
      ((await (await get("/admin/api/workers", token)).json()) as Workers).workers.map((w) => w.name);
    expect(await names(aAdmin)).toEqual(["platform-box"]);
    expect(await names(bAdmin)).toEqual(["box-b", "platform-box"]);
    expect(await names(admin)).toEqual(["box-b", "platform-box"]);

    const status = async (token: string) =>
      (await (await get("/admin/api/status", token)).json()) as Record<string, unknown>;
    const [forA, forAll] = [await status(aAdmin), await status(admin)];
    // The config's version and readiness; its own tenant's workers; nothing of the others' traffic or the host.
    expect(forA).toEqual({
      workers: 1,
      draining: false,
      config: { version: (forAll.config as { version: number }).version, restartRequired: [] },
      audit: { healthy: true },
    });
    expect(forAll).toEqual(
      expect.objectContaining({
        workers: 2,
        inFlight: expect.any(Number),
        config: expect.objectContaining({ path: gw.configPath }),
      }),
    );
    // A member who is no admin reads neither.
    const member = await key("workers-member", "team-a");
    expect((await get("/admin/api/workers", member)).status).toBe(403);
    expect((await get("/admin/api/status", member)).status).toBe(403);
  });
});

describe("a platform worker's models, as an admin in another tenant reads them", () => {
  test("a name only team-b's config entries answer to (secret-b, its glob alias's secret-glob-x) is left out of /admin/api/workers and the event stream for team-c, kept for team-b; its requests in flight, every tenant's, left out for both", async () => {
    const bAdmin = (await createKey(gw, { name: "pool-b-admin", tenant: "team-b", role: "admin" })).key;
    const cAdmin = (await createKey(gw, { name: "pool-c-admin", tenant: "team-c", role: "admin" })).key;
    const [bEvents, cEvents] = await Promise.all([tailEvents(gw.url, bAdmin), tailEvents(gw.url, cAdmin)]);
    fx.deferTest(() => {
      for (const tail of [bEvents, cEvents]) tail.close();
    });
    const token = (await createKey(gw, { name: "pool", role: "worker", models: ["*"] })).key;
    const started = spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${fx.fake.url}/v1`,
      name: "pool",
      models: ["pool-model", "secret-b", "secret-glob-x"],
    });
    fx.deferTest(() => started.stop("SIGKILL"));
    const admin = gw.adminKey ?? "";
    await waitFor("the pool listed", async () => ((await poolOf(admin)) ? true : undefined));
    // team-c: secret-b does not exist for it (404, not in /v1/models), nor in a worker it may use.
    expect((await poolOf(cAdmin))?.models).toEqual(["pool-model"]);
    expect((await poolOf(bAdmin))?.models).toEqual(["pool-model", "secret-b", "secret-glob-x"]);
    expect((await poolOf(admin))?.models).toEqual(["pool-model", "secret-b", "secret-glob-x"]);
    const heard = (tail: typeof bEvents) =>
      waitFor("the pool's arrival", () =>
        tail.events.find((e) => e.type === "worker.connected" && e.worker?.name === "pool"),
      );
    expect(JSON.stringify((await heard(cEvents)).worker)).not.toContain("secret");
    expect(JSON.stringify((await heard(bEvents)).worker)).toContain("secret-glob-x");
    // Its requests in flight are every tenant's: a tenant's admin gets its capacity alone.
    for (const reader of [bAdmin, cAdmin]) {
      const pool = await poolOf(reader);
      expect(pool?.inFlight).toBeUndefined();
      expect(pool?.capacity).toBeGreaterThan(0);
    }
    expect((await poolOf(admin))?.inFlight).toBe(0);
    for (const tail of [bEvents, cEvents]) expect((await heard(tail)).worker).not.toHaveProperty("inFlight");
  });

  test("a tenant's own worker keeps its requests in flight for that tenant's admin", async () => {
    const bAdmin = (await createKey(gw, { name: "own-b-admin", tenant: "team-b", role: "admin" })).key;
    const token = (await createKey(gw, { name: "own-b", tenant: "team-b", role: "worker", models: ["*"] }))
      .key;
    const started = spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${fx.fake.url}/v1`,
      name: "own-b",
      models: ["own-model"],
    });
    fx.deferTest(() => started.stop("SIGKILL"));
    await waitForWorkers(gw.url, gw.adminKey ?? "", ["own-b"]);
    const listed = (await (await get("/admin/api/workers", bAdmin)).json()) as { workers: Listed[] };
    expect(listed.workers.find((w) => w.name === "own-b")?.inFlight).toBe(0);
  });
});

type Listed = {
  name: string;
  models: string[];
  shadowedByConfig?: string[];
  inFlight?: number;
  capacity: number;
};
/** The worker named pool as `token` reads `/admin/api/workers`, all of it said to that reader. */
async function poolOf(token: string): Promise<Listed | undefined> {
  const listed = (await (await get("/admin/api/workers", token)).json()) as { workers: Listed[] };
  const pool = listed.workers.find((w) => w.name === "pool");
  if (pool) expect(JSON.stringify(pool).includes("secret")).toBe(pool.models.includes("secret-b"));
  return pool;
}
