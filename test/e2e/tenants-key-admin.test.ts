import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tenantsGateway } from "./harness/tenants-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// Tenants through the compiled binary: a key's tenant is a configured one, and an admin key in a
// tenant manages only its own tenant's keys and reads only its own tenant's insight.

const { fx, chat, key, get } = tenantsGateway();
let gw: GatewayProcess;
beforeAll(() => {
  gw = fx.gw;
});

describe("a key's tenant must be a configured one", () => {
  test("admin API and local CLI refuse an unknown tenant with a 400 naming the field and the known tenants", async () => {
    const res = await fetch(`${gw.url}/admin/api/keys`, {
      method: "POST",
      headers: bearer(gw.adminKey ?? ""),
      body: JSON.stringify({ name: "typo", tenant: "team-x" }),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; param: string } };
    expect(error.param).toBe("tenant");
    expect(error.message).toContain(
      '"team-x" is not a configured tenant; known tenants: team-a, team-b, team-m, team-budget',
    );
    const cli = await runMindgw([
      "keys",
      "create",
      "--name",
      "typo",
      "--tenant",
      "team-x",
      "-c",
      gw.configPath,
    ]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('"team-x" is not a configured tenant; known tenants: team-a');
    const listed = await runMindgw(["keys", "list", "--json", "-c", gw.configPath]);
    expect((JSON.parse(listed.stdout) as { keys: { name: string }[] }).keys.map((k) => k.name)).not.toContain(
      "typo",
    );
    const ok = await runMindgw([
      "keys",
      "create",
      "--name",
      "fine",
      "--tenant",
      "team-b",
      "-c",
      gw.configPath,
    ]);
    expect(ok.code).toBe(0);
  });
});

describe("an admin key in a tenant manages only its own tenant's keys", () => {
  test("it cannot mint into another tenant or none (API and CLI); a key it mints without a tenant is in its own", async () => {
    const tenantAdmin = (await createKey(gw, { name: "m-admin", role: "admin", tenant: "team-m" })).key;
    const post = (body: object) =>
      fetch(`${gw.url}/admin/api/keys`, {
        method: "POST",
        headers: bearer(tenantAdmin),
        body: JSON.stringify(body),
      });
    for (const tenant of ["team-b", "default"]) {
      const res = await post({ name: "escape", role: "admin", tenant });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
        `its tenant is outside this key's own tenant "team-m"`,
      );
    }
    const remote = ["--gateway", gw.url, "--admin-key", tenantAdmin, "--json"];
    const refused = await runMindgw(["keys", "create", "--name", "escape", "--tenant", "team-b", ...remote]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("outside this key's own tenant");
    const minted = await runMindgw(["keys", "create", "--name", "m-minted", ...remote]);
    expect(minted.code).toBe(0);
    const issued = JSON.parse(minted.stdout) as { key: string; tenant: string };
    expect(issued.tenant).toBe("team-m");
    // Bound by team-m like every key of it: m2 is outside the tenant's models.
    expect((await chat(issued.key, "m2")).status).toBe(404);
    expect((await chat(issued.key, "m1")).status).toBe(200);
    // Another tenant's key is beyond it too: neither shown, rotated nor revoked, and answered as an
    // id of no key (test/e2e/tenant-key-ids.test.ts compares the two answers).
    const other = await createKey(gw, { name: "b-target", tenant: "team-b" });
    for (const [method, path] of [
      ["GET", ""],
      ["POST", "/rotate"],
      ["POST", "/revoke"],
    ] as const) {
      const res = await fetch(`${gw.url}/admin/api/keys/${other.id}${path}`, {
        method,
        headers: bearer(tenantAdmin),
      });
      expect(res.status).toBe(404);
      const { message } = ((await res.json()) as { error: { message: string } }).error;
      expect(message).not.toContain("team-b");
    }
    expect((await chat(other.key)).status).toBe(200);
  });
});

describe("an admin key in a tenant reads only its own tenant's insight", () => {
  test("actions and spend of its tenant's keys, routing of its models; the gateway-wide charts and /metrics are refused", async () => {
    const aAdmin = (await createKey(gw, { name: "insight-a", tenant: "team-a", role: "admin" })).key;
    const aUser = await createKey(gw, { name: "insight-a-user", tenant: "team-a" });
    const bUser = await createKey(gw, { name: "insight-b-user", tenant: "team-b" });
    type Actions = { actions: { target: string | null; detail: string | null }[] };
    const actions = (await (await get("/admin/api/actions?limit=500", aAdmin)).json()) as Actions;
    expect(actions.actions.some((a) => a.target === aUser.id)).toBe(true);
    expect(actions.actions.some((a) => a.target === bUser.id)).toBe(false);
    expect(JSON.stringify(actions)).not.toContain("team-b");

    const spend = (await (await get(`/admin/api/spend?ids=${aUser.id},${bUser.id}`, aAdmin)).json()) as {
      spentUsd: Record<string, number>;
    };
    expect(Object.keys(spend.spentUsd)).toEqual([aUser.id]);

    type Routing = {
      config: { path?: string | null; version: number };
      models: { name: string }[];
      providers: { name: string }[];
      prices: object;
    };
    const routing = (await (await get("/admin/api/routing", aAdmin)).json()) as Routing;
    // The config file's path is gateway-wide, as in /admin/api/status: the version alone.
    expect(routing.config).toEqual({ version: expect.any(Number) });
    expect(routing.models.map((m) => m.name)).toEqual(["m1", "m2"]);
    expect(routing.providers.map((p) => p.name)).toEqual(["fake"]);
    expect(JSON.stringify(routing)).not.toContain("secret-b");

    // The charts and /metrics are every tenant's together (the metrics name each tenant's spend).
    for (const path of ["/admin/api/stats", "/metrics"]) {
      const refused = await get(path, aAdmin);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
        "only an admin outside every tenant",
      );
    }

    // An admin outside every tenant reads every tenant's.
    const admin = gw.adminKey ?? "";
    const all = (await (await get("/admin/api/routing", admin)).json()) as Routing;
    expect(all.config.path).toBe(gw.configPath);
    expect(all.models.map((m) => m.name)).toEqual(["m1", "m2", "secret-b"]);
    const every = (await (await get("/admin/api/actions?limit=500", admin)).json()) as Actions;
    expect(every.actions.some((a) => a.target === bUser.id)).toBe(true);
    expect((await get("/admin/api/stats", admin)).status).toBe(200);
    const metrics = await get("/metrics", admin);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("mindgw_");
  });
});

describe("the routing view's load is the reader's own", () => {
  type Health = { open: boolean; inFlight?: number; latencyMs?: number };
  type Routes = { models: { name: string; routes: { provider: string; health: Health }[] }[] };
  const routeOf = async (token: string, model: string) => {
    const routing = (await (await get("/admin/api/routing", token)).json()) as Routes;
    return routing.models.find((m) => m.name === model)?.routes[0];
  };
  /** A chat the fake never answers, held open until `abort`. */
  const held = (token: string, model: string, abort: AbortController) =>
    fetch(fx.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(token),
      body: chatBody(model, "held [[fake:hang]]"),
      signal: abort.signal,
    }).catch(() => undefined);

  test("an admin in a tenant is not told another tenant's requests in flight on a shared route, but its own provider's", async () => {
    const bUser = await key("load-b-user", "team-b");
    const bAdmin = (await createKey(gw, { name: "load-b-admin", tenant: "team-b", role: "admin" })).key;
    const cAdmin = (await createKey(gw, { name: "load-c-admin", tenant: "team-c", role: "admin" })).key;
    const admin = gw.adminKey ?? "";
    const abort = new AbortController();
    try {
      // team-b's calls: one on m1 (the platform's provider, every tenant's route), one on secret-b
      // (team-b's own provider, fake-b, which only team-b's models may use).
      const calls = [held(bUser, "m1", abort), held(bUser, "secret-b", abort)];
      await waitFor("both calls in flight", async () =>
        (await routeOf(admin, "m1"))?.health.inFlight === 1 &&
        (await routeOf(admin, "secret-b"))?.health.inFlight === 1
          ? true
          : undefined,
      );
      // team-c's admin: the m1 route's breaker (its callers are served by that upstream as it is),
      // but not the requests on it, all of them another tenant's: the gateway's load, which the
      // status leaves out for it too.
      const shared = await routeOf(cAdmin, "m1");
      expect(shared?.health).toEqual({ open: false });
      // team-b's admin: its own provider's route carries its own tenant's requests alone.
      expect((await routeOf(bAdmin, "secret-b"))?.health.inFlight).toBe(1);
      expect((await routeOf(bAdmin, "m1"))?.health).not.toHaveProperty("inFlight");
      abort.abort();
      await Promise.all(calls);
    } finally {
      abort.abort();
    }
  });

  test("nor another tenant's time to first byte on a shared route, but its own provider's", async () => {
    const bUser = await key("ttfb-b-user", "team-b");
    const bAdmin = (await createKey(gw, { name: "ttfb-b-admin", tenant: "team-b", role: "admin" })).key;
    const cAdmin = (await createKey(gw, { name: "ttfb-c-admin", tenant: "team-c", role: "admin" })).key;
    const admin = gw.adminKey ?? "";
    // team-b's answered calls: on m1 (the platform's provider) and secret-b (team-b's own, fake-b).
    for (const model of ["m1", "secret-b"]) expect((await chat(bUser, model)).status).toBe(200);
    const ttfb = async (token: string, model: string) => (await routeOf(token, model))?.health.latencyMs;
    // The mean the latency strategy keeps is every caller's: the gateway-wide admin reads it.
    expect(await ttfb(admin, "m1")).toBeGreaterThan(0);
    expect(await ttfb(admin, "secret-b")).toBeGreaterThan(0);
    // team-c's admin: m1's figure is team-b's requests alone (and any other tenant's), not its own.
    expect((await routeOf(cAdmin, "m1"))?.health).toEqual({ open: false });
    // team-b's admin: its own provider's route is its own tenant's calls alone; m1 is not.
    expect(await ttfb(bAdmin, "secret-b")).toBeGreaterThan(0);
    expect((await routeOf(bAdmin, "m1"))?.health).not.toHaveProperty("latencyMs");
  });
});

// An admin action's id and `nextBefore` counted every tenant's admin actions: the gaps between a
// tenant admin's own actions' ids counted the changes made to other tenants' keys in between. Now
// they are sealed to it: a walk with none of team-b's changes between its own reads as one with
// six, and an id in the clear (an admin's, the form it could make up) is refused as `before`.
test("an admin in a tenant can tell from its actions' ids nothing of how many changes another tenant's keys had", async () => {
  type Page = { actions: { id: unknown; detail: string | null }[]; nextBefore: unknown };
  const admin = gw.adminKey ?? "";
  /** Two keys of team-a by a new team-a admin, `between` of team-b's between them; its pages of one. */
  async function walk(between: number) {
    const made = await createKey(gw, { name: `ids-admin-${between}`, tenant: "team-a", role: "admin" });
    const aAdmin = made.key;
    const as = { url: gw.url, adminKey: aAdmin };
    await createKey(as, { name: `ids-first-${between}` });
    for (let j = 0; j < between; j++)
      await createKey(gw, { name: `ids-b-${between}-${j}`, tenant: "team-b" });
    await createKey(as, { name: `ids-second-${between}` });
    // Its own changes alone: the file's other tests change team-a's keys too.
    const query = `limit=1&actor=${made.id}`;
    const shown: unknown[] = [];
    const names: string[] = [];
    let before: unknown = null;
    do {
      const res = await get(
        `/admin/api/actions?${query}${before === null ? "" : `&before=${before}`}`,
        aAdmin,
      );
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      for (const action of page.actions) {
        shown.push(action.id);
        names.push(action.detail?.match(/ids-[a-z]+/)?.[0] ?? "");
      }
      before = page.nextBefore;
      if (before !== null) shown.push(before);
    } while (before !== null);
    return { aAdmin, query, shown, names };
  }
  const alone = await walk(0);
  const among = await walk(6);
  expect([alone.names, among.names]).toEqual([
    ["ids-second", "ids-first"],
    ["ids-second", "ids-first"],
  ]);
  const shown = [...alone.shown, ...among.shown];
  expect(new Set(shown.map((id) => `${typeof id} ${String(id).length}`)).size).toBe(1);
  for (const id of shown) expect(String(id)).not.toMatch(/^\d+$/);
  // The admin's id of the same action is a number: not taken from the tenant's admin.
  const every = (await (await get("/admin/api/actions?limit=2", admin)).json()) as Page;
  expect(typeof every.nextBefore).toBe("number");
  const refused = await get(`/admin/api/actions?${among.query}&before=${every.nextBefore}`, among.aAdmin);
  expect([refused.status, await refused.text()]).toEqual([
    400,
    expect.stringContaining("not an action's id"),
  ]);
});
