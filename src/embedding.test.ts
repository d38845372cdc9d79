import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AuditRecord,
  createGateway,
  createProvider,
  type EventSink,
  type Gateway,
  loadConfigFile,
  type Policy,
  type Provider,
  type ProviderFactory,
  parseConfig,
  silentLogger,
} from "./index.ts";
import { waitFor, waitForValue } from "./testing/wait-for.ts";

// The library form: a custom provider type and custom authentication, through the exports only.
const dir = mkdtempSync(join(tmpdir(), "mindgw-embed-"));
let gateway: Gateway | undefined;
afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("an embedder plugs in its own provider and authentication", async () => {
  const shouting: Provider = {
    name: "shout",
    dialect: "openai",
    async call(call) {
      const last = (call.body.messages as { content: string }[]).at(-1)?.content ?? "";
      return {
        kind: "json",
        body: {
          object: "chat.completion",
          model: call.body.model,
          choices: [
            { index: 0, message: { role: "assistant", content: last.toUpperCase() }, finish_reason: "stop" },
          ],
        },
      };
    },
  };
  const factory: ProviderFactory = (config, context) =>
    config.name === "shout" ? shouting : createProvider(config, context);
  const config = parseConfig({
    storage: { path: join(dir, "gw.db") },
    auth: { bootstrap_admin: false },
    providers: [{ name: "shout", type: "mock" }],
    models: [{ name: "loud", routes: [{ provider: "shout", model: "loud-1" }] }],
  });
  gateway = await createGateway({
    config,
    providers: factory,
    auth: async (headers) => {
      if (headers.get("authorization") !== "Bearer let-me-in") throw new Error("no");
      return {
        keyId: null,
        name: "sso-user",
        tenant: "acme",
        role: "user",
        models: ["*"],
        limits: {},
        via: "jwt",
      };
    },
  });
  const response = await gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      headers: { authorization: "Bearer let-me-in", "content-type": "application/json" },
      body: JSON.stringify({ model: "loud", messages: [{ role: "user", content: "hello" }] }),
    }),
  );
  expect(response.status).toBe(200);
  const body = (await response.json()) as { choices: { message: { content: string } }[] };
  expect(body.choices[0]?.message.content).toBe("HELLO");
  const refused = await gateway.handle(
    new Request("http://localhost/v1/models", { headers: { authorization: "Bearer nope" } }),
  );
  expect(refused.status).toBe(401);
});

test("an embedder plugs in a config source, a policy and an event sink", async () => {
  const { staticConfigSource, GatewayError } = await import("./index.ts");
  const seen: string[] = [];
  const sink: EventSink = { publish: (event) => seen.push(event.type) };
  const policy: Policy = {
    admit(principal) {
      if (principal.name === "blocked")
        throw new GatewayError({
          status: 403,
          code: "forbidden",
          message: "not today: outside office hours",
        });
      return { "x-policy": "ok" };
    },
    record: () => 0.5,
  };
  const embedded = await createGateway({
    configSource: staticConfigSource(
      parseConfig({
        storage: { path: join(dir, "policy.db") },
        auth: { bootstrap_admin: false },
        providers: [{ name: "demo", type: "mock" }],
        models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      }),
    ),
    auth: async (headers) => ({
      keyId: null,
      name: headers.get("authorization") === "Bearer blocked" ? "blocked" : "ok",
      tenant: "acme",
      role: "user",
      models: ["*"],
      limits: {},
      via: "jwt",
    }),
    policy,
    events: [sink],
  });
  try {
    const call = (token: string) =>
      embedded.handle(
        new Request("http://localhost/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        }),
      );
    const allowed = await call("fine");
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("x-policy")).toBe("ok");
    const refused = await call("blocked");
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      "office hours",
    );
    // A request's end is reported once its answer is written (http/request-ends.ts), not before.
    await waitFor(
      "both requests reported",
      () => seen.filter((type) => type === "request.finished").length === 2,
    );
  } finally {
    await embedded.stop();
  }
});

test("an embedder's authenticator is the authority for its tenants: a principal of a tenant tenants: does not list is served, seeing the models one outside every tenant sees, a listed one bound by its rules, where every unlisted team was refused 401", async () => {
  const { staticConfigSource } = await import("./index.ts");
  const embedded = await createGateway({
    configSource: staticConfigSource(
      parseConfig({
        storage: { path: join(dir, "embedder-tenants.db") },
        auth: { bootstrap_admin: false },
        providers: [{ name: "demo", type: "mock" }],
        models: [
          { name: "m", routes: [{ provider: "demo", model: "m" }] },
          { name: "n", routes: [{ provider: "demo", model: "n" }] },
        ],
        tenants: [{ name: "platform", models: ["n"] }],
      }),
    ),
    // As examples/custom-auth.ts: the team its token service names, "default" without one.
    auth: async (headers) => ({
      keyId: null,
      name: "someone",
      tenant: headers.get("authorization")?.slice("Bearer ".length) ?? "default",
      role: "user",
      models: ["*"],
      limits: {},
      via: "jwt",
    }),
  });
  try {
    const call = (team: string, model: string) =>
      embedded.handle(
        new Request("http://localhost/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${team}`, "content-type": "application/json" },
          body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
        }),
      );
    expect((await call("search", "m")).status).toBe(200);
    expect((await call("default", "m")).status).toBe(200);
    // A listed tenant's rules still apply on top: platform may use n alone.
    expect((await call("platform", "n")).status).toBe(200);
    expect((await call("platform", "m")).status).toBe(404);
  } finally {
    await embedded.stop();
  }
});

test("an embedder's admin is held to the tenant it names, listed or not, across reloads: only an admin of default reads /metrics and every tenant's keys", async () => {
  const configPath = join(dir, "held-admins.yaml");
  const configWith = (tenants: string) =>
    writeFileSync(
      configPath,
      `storage: { path: ${join(dir, "held-admins.db")} }\nauth: { bootstrap_admin: false }\nadmin_ui: { enabled: true }\nproviders: [{ name: demo, type: mock }]\nmodels: [{ name: m, routes: [{ provider: demo, model: m }] }]\n${tenants}`,
    );
  configWith("");
  const embedded = await createGateway({
    config: await loadConfigFile(configPath),
    configPath,
    logger: silentLogger,
    // The team an identity provider names, as it spells it; an admin every time.
    auth: async (headers) => ({
      keyId: null,
      name: "ops",
      tenant: headers.get("x-team") ?? "default",
      role: "admin",
      models: ["*"],
      limits: {},
      via: "jwt",
    }),
  });
  try {
    const as = (team: string, path: string, body?: unknown) =>
      embedded.handle(
        new Request(`http://localhost${path}`, {
          method: body ? "POST" : "GET",
          headers: { "x-team": team, "content-type": "application/json" },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }),
      );
    // In force by reload() or by the file's watch, whichever read the edit first.
    const inForce = async (version: number) => {
      await embedded.reload();
      await waitForValue(`config version ${version}`, async () => {
        const status = (await (await as("default", "/admin/api/status")).json()) as {
          config: { version: number };
        };
        return status.config.version === version;
      });
    };
    const reads = async (team: string) =>
      Promise.all([
        as(team, "/metrics").then((response) => response.status),
        as(team, "/admin/api/keys?tenant=globex").then((response) => response.status),
      ]);
    // No tenant listed: "acme" is a free label that holds its admin, as a key of it is held.
    expect(await reads("acme")).toEqual([403, 403]);
    expect(await reads("default")).toEqual([200, 200]);
    const created = await as("acme", "/admin/api/keys", { name: "made-by-acme" });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { tenant: string }).tenant).toBe("acme");
    // Its web session says the tenant it reads, bound by this version or a later one.
    const login = await as("acme", "/admin/auth/login", {});
    const { csrf } = (await login.json()) as { csrf: string };
    const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
    const sessionTenant = async () => {
      const session = await embedded.handle(
        new Request("http://localhost/admin/auth/session", { headers: { cookie, "x-csrf-token": csrf } }),
      );
      return ((await session.json()) as { user: { tenant: string | null } }).user.tenant;
    };
    expect(await sessionTenant()).toBe("acme");
    // Listed: held to it; a name differing by case is another tenant, not every tenant.
    configWith("tenants: [{ name: acme }, { name: globex }]\n");
    await inForce(2);
    expect(await reads("acme")).toEqual([403, 403]);
    expect(await reads("Acme")).toEqual([403, 403]);
    expect(await sessionTenant()).toBe("acme");
    // A reload that removes it serves its admin still, held to its name.
    configWith("tenants: [{ name: globex }]\n");
    await inForce(3);
    expect((await as("acme", "/admin/api/status")).status).toBe(200);
    expect(await reads("acme")).toEqual([403, 403]);
    expect(await reads("default")).toEqual([200, 200]);
  } finally {
    await embedded.stop();
  }
});

test("under an embedder's policy, which keeps no spend ledger, a tenant's spend is what its record priced in the audit rows", async () => {
  const { staticConfigSource } = await import("./index.ts");
  const embedded = await createGateway({
    configSource: staticConfigSource(
      parseConfig({
        storage: { path: join(dir, "tenant-spend.db") },
        auth: { bootstrap_admin: false },
        tenants: [{ name: "acme", budget: { usd: 2, per: "month" } }],
        providers: [{ name: "demo", type: "mock" }],
        models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      }),
    ),
    auth: async (headers) =>
      headers.get("authorization") === "Bearer admin"
        ? {
            keyId: null,
            name: "ops",
            tenant: "default",
            role: "admin",
            models: ["*"],
            limits: {},
            via: "jwt",
          }
        : { keyId: null, name: "ada", tenant: "acme", role: "user", models: ["*"], limits: {}, via: "jwt" },
    policy: { admit: () => ({}), record: () => 0.5 },
  });
  try {
    const answer = await embedded.handle(
      new Request("http://localhost/v1/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer ada", "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      }),
    );
    expect(answer.status).toBe(200);
    const admin = async <T>(path: string): Promise<T> =>
      (await (
        await embedded.handle(
          new Request(`http://localhost${path}`, { headers: { authorization: "Bearer admin" } }),
        )
      ).json()) as T;
    await waitForValue(
      "the request's audit row",
      async () =>
        (await admin<{ records: AuditRecord[] }>("/admin/api/audit?tenant=acme")).records.length === 1,
    );
    const { tenants } = await admin<{
      tenants: { name: string; usage: { costUsd: number }; remainingUsd: number }[];
    }>("/admin/api/tenants");
    expect(tenants.map((t) => [t.name, t.usage.costUsd, t.remainingUsd])).toEqual([["acme", 0.5, 1.5]]);
  } finally {
    await embedded.stop();
  }
});

// The gateway's lifecycle through the exports: stop, listen and handle as an embedder calls them.
