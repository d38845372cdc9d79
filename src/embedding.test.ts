import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type AuditRecord,
  type Authenticator,
  type ConfigWatchHandlers,
  createGateway,
  createProvider,
  type EventSink,
  type Gateway,
  loadConfigFile,
  openSqliteStorage,
  type Policy,
  type Provider,
  type ProviderFactory,
  parseConfig,
  type Storage,
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
const anyone: Authenticator = async () => ({
  keyId: null,
  name: "ok",
  tenant: "acme",
  role: "user",
  models: ["*"],
  limits: {},
  via: "jwt",
});

const chatRequest = (base = "http://localhost") =>
  new Request(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer t", "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });

/** A provider answering at once, its usage priced by the config; `close` as the test says. */
const answering = (name: string, close?: () => void): Provider => ({
  name,
  dialect: "openai",
  async call(call) {
    return {
      kind: "json",
      body: {
        object: "chat.completion",
        model: call.body.model,
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      },
      usage: { inputTokens: 10, outputTokens: 10 },
    };
  },
  ...(close ? { close } : {}),
});

const configFor = (name: string, extra: Record<string, unknown> = {}) =>
  parseConfig({
    storage: { path: join(dir, `${name}.db`) },
    auth: { bootstrap_admin: false },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    ...extra,
  });

test("stop closes every part though some fail: the audit rows are written, storage closed, and stop rejects naming the failures", async () => {
  const path = join(dir, "failing-parts.db");
  const sqlite = openSqliteStorage(path);
  let storageClosed = false;
  // The spend store's database went away: the built-in policy's last spend flush fails on stop.
  const storage: Storage = {
    ...sqlite,
    spend: {
      ...sqlite.spend,
      add: async () => {
        throw new Error("spend.add: connection to storage lost");
      },
    },
    close: async () => {
      await sqlite.close();
      storageClosed = true;
    },
  };
  let goodSinkClosed = false;
  let providerCloses = 0;
  const embedded = await createGateway({
    config: configFor("failing-parts", {
      storage: { path },
      // Rows wait in the writer's queue until stop flushes them.
      audit: { flush_ms: 10_000 },
      prices: { m: { input_per_mtok: 1000, output_per_mtok: 1000 } },
    }),
    storage,
    auth: anyone,
    logger: silentLogger,
    providers: (config) =>
      answering(config.name, () => {
        providerCloses++;
        throw new Error("pool already gone");
      }),
    events: [
      { publish: () => {}, close: () => Promise.reject(new Error("sink backend gone")) },
      {
        publish: () => {},
        close: async () => {
          goodSinkClosed = true;
        },
      },
    ],
  });
  for (let i = 0; i < 4; i++) expect((await embedded.handle(chatRequest())).status).toBe(200);

  const stopped = embedded.stop();
  const failure = await stopped.then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(AggregateError);
  expect((failure as AggregateError).message).toBe(
    "the gateway stopped, but these parts failed to: the limits policy (spend flush), providers, event sinks",
  );
  expect((failure as AggregateError).errors).toHaveLength(3);
  expect([storageClosed, goodSinkClosed, providerCloses]).toEqual([true, true, 1]);
  // Stopping again is the same stop: it neither runs the parts again nor finds them closed.
  expect(embedded.stop()).toBe(stopped);

  const written = openSqliteStorage(path, { readonly: true });
  try {
    const rows = await written.audit.select({ order: "asc", bodies: false }, null, 100);
    expect(rows.map((row) => row.record.status)).toEqual([200, 200, 200, 200]);
  } finally {
    await written.close();
  }
});

test("stop ends by its deadline though a sink's and a policy's close never return: it rejects naming them, and storage is closed", async () => {
  const path = join(dir, "hung-closes.db");
  const sqlite = openSqliteStorage(path);
  let storageClosed = false;
  const storage: Storage = {
    ...sqlite,
    close: async () => {
      await sqlite.close();
      storageClosed = true;
    },
  };
  const never = () => new Promise<void>(() => {});
  const embedded = await createGateway({
    config: configFor("hung-closes", { storage: { path }, server: { drain_timeout: "100ms" } }),
    storage,
    auth: anyone,
    logger: silentLogger,
    policy: { admit: () => ({}), record: () => 0, close: never },
    events: [{ publish: () => {}, close: never }],
  });
  expect((await embedded.handle(chatRequest())).status).toBe(200);
  const failure = await embedded.stop().then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(AggregateError);
  // The policy is the embedder's: named so, not as the built-in limits' spend flush.
  expect((failure as AggregateError).message).toBe(
    "the gateway stopped, but these parts failed to: the embedder's policy, event sinks",
  );
  expect((failure as AggregateError).errors.map((error) => (error as Error).message)).toEqual([
    "the embedder's policy did not finish in the stop's time",
    "event sinks did not finish in the stop's time",
  ]);
  expect(storageClosed).toBe(true);
});

test("a storage whose backfill fails: the gateway says so at error level and serves on, where the rejection was left unhandled (which ends the process)", async () => {
  const errors: { message: string; fields: unknown }[] = [];
  const logger = {
    ...silentLogger,
    error: (message: string, fields?: unknown) => void errors.push({ message, fields }),
  };
  const sqlite = openSqliteStorage(join(dir, "failing-backfill.db"));
  const storage: Storage = {
    ...sqlite,
    backfill: () => Promise.reject(new Error("backfill_progress: relation gone")),
  };
  const embedded = await createGateway({
    config: configFor("failing-backfill"),
    storage,
    auth: anyone,
    logger,
  });
  try {
    const told = await waitForValue("the backfill's failure told", () => errors[0]);
    expect(told).toEqual({
      message: "storage backfill failed; the node serves on, and its next start runs the backfill again",
      fields: { error: "Error: backfill_progress: relation gone" },
    });
    expect((await embedded.handle(chatRequest())).status).toBe(200);
  } finally {
    await embedded.stop();
  }
});

test("without onBootstrapKey no admin key is created for nobody: the store stays empty and a warning says why, unless an authenticator of the embedder's admits its callers", async () => {
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
  const path = join(dir, "no-receiver.db");
  const config = configFor("no-receiver", { storage: { path }, auth: { bootstrap_admin: true } });
  const embedded = await createGateway({ config, logger });
  expect(await embedded.storage.keys.list({ includeRevoked: true })).toEqual([]);
  expect(warnings).toContain(
    "auth.bootstrap_admin is on but no onBootstrapKey was given to hand the one-time admin key to: none was created",
  );
  await embedded.stop();
  // The gateway's keys admit nobody by themselves under an embedder's authenticator: no key is
  // missed, and no warning at every start (bootstrap_admin is on by default).
  warnings.length = 0;
  const own = await createGateway({ config, auth: anyone, logger });
  expect(await own.storage.keys.list({ includeRevoked: true })).toEqual([]);
  expect(warnings).toEqual([]);
  await own.stop();
  // A later start that has a receiver still gets the key.
  const shown: string[] = [];
  const next = await createGateway({
    config,
    auth: anyone,
    logger,
    onBootstrapKey: (key) => shown.push(key),
  });
  expect(shown).toHaveLength(1);
  await next.stop();
});

test("stop closes the providers of the current version and of one still retiring, each once", async () => {
  const closed: string[] = [];
  let handlers: ConfigWatchHandlers | undefined;
  const initial = configFor("providers-on-stop", { server: { drain_timeout: "1h" } });
  // One pooled client handed to every version, as examples/custom-provider.ts does, beside a
  // provider made anew for each.
  const pooled = answering("pooled", () => closed.push("pooled"));
  let freshMade = 0;
  const embedded = await createGateway({
    configSource: {
      initial,
      path: null,
      watch(given) {
        handlers = given;
        return () => {};
      },
    },
    auth: anyone,
    logger: silentLogger,
    providers: (config) => {
      if (config.name === "demo") return pooled;
      const label = `fresh #${++freshMade}`;
      return answering(config.name, () => closed.push(label));
    },
  });
  const withFresh = (extra: Record<string, unknown> = {}) =>
    configFor("providers-on-stop", {
      server: { drain_timeout: "1h" },
      providers: [
        { name: "demo", type: "mock" },
        { name: "fresh", type: "mock" },
      ],
      ...extra,
    });
  handlers?.onValid(withFresh());
  // The version just retired had the pooled provider only; the current one still uses it.
  expect(closed).toEqual([]);
  // Another version (any applied setting: restart-only ones alone make none).
  handlers?.onValid(withFresh({ routing: { retries: 3 } }));
  expect(freshMade).toBe(2);
  expect((await embedded.handle(chatRequest())).status).toBe(200);
  await embedded.stop();
  // Versions 2 and 3 each made their own `fresh`; the pooled one closes once, when no version holds it.
  expect(closed.sort()).toEqual(["fresh #1", "fresh #2", "pooled"]);
});

test("stop called again, while the first runs or after it, is the same stop", async () => {
  const embedded = await createGateway({
    config: configFor("stop-twice"),
    auth: anyone,
    logger: silentLogger,
  });
  expect((await embedded.handle(chatRequest())).status).toBe(200);
  const first = embedded.stop();
  expect(embedded.stop()).toBe(first);
  await first;
  await embedded.stop();
});

test("listen opens one listener, which stop closes; a second listen, or one after stop, throws", async () => {
  const embedded = await createGateway({
    config: configFor("listen-once"),
    auth: anyone,
    logger: silentLogger,
  });
  const { port } = embedded.listen("127.0.0.1", 0);
  expect(() => embedded.listen("127.0.0.1", 0)).toThrow(`the gateway already listens on 127.0.0.1:${port}`);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  await embedded.stop();
  await embedded.stop();
  expect(
    await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => "answered",
      () => "refused",
    ),
  ).toBe("refused");
  expect(() => embedded.listen("127.0.0.1", 0)).toThrow("the gateway has stopped");
});

test("handle() takes the client's address: the per-address cap counts each client apart, and the audit row names it", async () => {
  const held: (() => void)[] = [];
  const rows: AuditRecord[] = [];
  const holding: Provider = {
    ...answering("holding"),
    async call(call) {
      await new Promise<void>((release) => held.push(release));
      return answering("holding").call(call);
    },
  };
  const embedded = await createGateway({
    config: configFor("client-ip", { server: { max_client_requests: 1 } }),
    auth: anyone,
    logger: silentLogger,
    providers: () => holding,
    events: [{ publish: (event) => void (event.type === "request.finished" && rows.push(event.record)) }],
  });
  try {
    const first = embedded.handle(chatRequest(), { clientIp: "10.0.0.2" });
    await waitFor("the first request to reach the provider", () => held.length === 1);
    const again = await embedded.handle(chatRequest(), { clientIp: "10.0.0.2" });
    expect(again.status).toBe(429);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain(
      "too many requests in flight from this address",
    );
    // Another client, and requests with no address given: none is held to 10.0.0.2's cap.
    const other = embedded.handle(chatRequest(), { clientIp: "10.0.0.3" });
    const unknown = [embedded.handle(chatRequest()), embedded.handle(chatRequest())];
    await waitFor("the other three at the provider", () => held.length === 4);
    for (const release of held) release();
    expect(await Promise.all([first, other, ...unknown].map(async (r) => (await r).status))).toEqual([
      200, 200, 200, 200,
    ]);
    await waitFor("five audit rows", () => rows.length === 5);
    expect(rows.map((row) => row.clientIp).sort()).toEqual(["10.0.0.2", "10.0.0.2", "10.0.0.3", null, null]);
  } finally {
    await embedded.stop();
  }
});

test("handle() routes a request whatever its URL's host: a short one, with a port, or none of ours", async () => {
  const embedded = await createGateway({
    config: configFor("short-hosts"),
    auth: anyone,
    logger: silentLogger,
  });
  try {
    for (const base of [
      "http://x",
      "http://gw",
      "https://ab",
      "http://x:1",
      "http://gw.internal",
      "http://[::1]:8080",
    ]) {
      const response = await embedded.handle(chatRequest(base));
      expect(`${base} ${response.status}`).toBe(`${base} 200`);
    }
    const listed = await embedded.handle(
      new Request("http://gw/v1/models?limit=5", { headers: { authorization: "Bearer t" } }),
    );
    expect(((await listed.json()) as { data: { id: string }[] }).data.map((model) => model.id)).toEqual([
      "m",
    ]);
  } finally {
    await embedded.stop();
  }
});

test("an embedder's own strict tsconfig type-checks the library, names every part's types, and compiles EMBEDDING.md's code as written", async () => {
  // A project of its own outside the repo, as an app developer sets one up: strict, skipLibCheck,
  // nothing of ours included but what its one file imports.
  const project = join(dir, "consumer");
  const root = resolve(import.meta.dir, "..");
  mkdirSync(project);
  writeFileSync(
    join(project, "app.ts"),
    `import type {
  AuditFilter, AuditPosition, ConfigWatchHandlers, HandleOptions, KeyRecord, LogFields, Policy,
  ProviderContext, Served, ShadowAggregate, ShadowFilter, ShadowRecord, ShadowStore, StoredResponse,
  AdminAction, AdminActionPage, AdminActionStore, AdminSessionStore, KeyLimits, KeyPageFilter,
  KeyPosition, ListedModels, ResponseChain, SharedCharge, SpendChanges, StoredAdminAction,
  StoredAdminSession, TenantRules, TenantUsage, KeyStore, SpendStore, ResponseStore,
  ErrorCode, ForwardRequest, GatewayErrorInit, GatewayEvent, GatewayLimit, LoggerOptions, LogLevel,
  NativeRequest, Provider, PublishedRecord, RedactBody, WorkerSummary,
  RedisStreamSinkOptions, WebhookSinkOptions, WebhookStats, DropListener, DropReason,
} from ${JSON.stringify(join(root, "src/index.ts"))};
import { createGateway, parseConfig } from ${JSON.stringify(join(root, "src/index.ts"))};
export type Parts = [AuditFilter, AuditPosition, ConfigWatchHandlers, HandleOptions, KeyRecord, LogFields,
  ProviderContext, Served, ShadowAggregate, ShadowFilter, ShadowRecord, ShadowStore, StoredResponse,
  AdminAction, AdminActionPage, AdminActionStore, AdminSessionStore, KeyLimits, KeyPageFilter,
  KeyPosition, ListedModels, ResponseChain, SharedCharge, SpendChanges, StoredAdminAction,
  StoredAdminSession, TenantRules, TenantUsage];
// The built-in sinks' options, named as a host that builds them from a config of its own names them.
export type SinkOptions = [RedisStreamSinkOptions, WebhookSinkOptions, WebhookStats];
// Their drop listener, a host's metric written apart from the sink it counts for, by the names the
// options take.
export const countDrops: DropListener = {
  onDrop(_count: number, _reason: DropReason) {},
  onResumed(_dropped: number) {},
};
export const sinkListeners: [WebhookSinkOptions, RedisStreamSinkOptions] = [
  { url: "https://example.invalid/", secret: "s", ...countDrops },
  { url: "redis://127.0.0.1:1", stream: "s", maxLen: 1000, ...countDrops },
];
// What the implementable interfaces take and return is named by the package: a store of one's own
// is written with the exported names alone.
export type Named = [
  Parameters<NonNullable<KeyStore["page"]>>[0] extends KeyPageFilter ? true : never,
  Awaited<ReturnType<SpendStore["changedSince"]>> extends SpendChanges ? true : never,
  Awaited<ReturnType<NonNullable<ResponseStore["chain"]>>> extends ResponseChain | null ? true : never,
  Extract<ReturnType<Policy["record"]>, SharedCharge | Promise<SharedCharge>> extends never ? never : true,
  // What an event sink is handed, a provider's forward and native call take, a GatewayError is built
  // from, a logger is made from and a body redacted with: a plug-in names them from the package.
  Extract<GatewayEvent, { type: "request.finished" }>["record"] extends PublishedRecord ? true : never,
  Extract<GatewayEvent, { type: "worker.lost" }>["worker"] extends WorkerSummary ? true : never,
  Parameters<NonNullable<Provider["forward"]>>[0] extends ForwardRequest ? true : never,
  NonNullable<Parameters<Provider["call"]>[0]["native"]> extends NativeRequest ? true : never,
  GatewayErrorInit extends { code: ErrorCode; refusedBy?: GatewayLimit } ? true : never,
  LoggerOptions extends { level?: LogLevel } ? true : never,
  RedactBody extends (body: string, kind: "request" | "response") => string ? true : never,
];
// Given a value: a tuple of \`never\` elements compiles as a type, but no \`true\` is assignable to one.
export const named: Named = [true, true, true, true, true, true, true, true, true, true, true];
const gateway = await createGateway({ config: parseConfig({ storage: { path: ":memory:" } }) });
await gateway.stop();
// A gateway's surface is what EMBEDDING.md documents, every type of it one the package names: no
// part of its inside (its Elysia app, any-typed, whose listen is no listener of the gateway's; its
// runtime snapshot, a type the package does not export).
export const surface: Exclude<keyof typeof gateway, "handle" | "websocket" | "listen" | "stop" | "storage"
  | "reload" | "lastReloadError" | "restartRequired" | "bootstrapAdmin"> extends never ? true : never = true;
// An earlier release's policy that handed a rotated key its predecessor's spend is told at compile
// time that no rotation calls it any more.
export class OlderPolicy implements Policy {
  admit() { return {}; }
  record() { return 0; }
  // @ts-expect-error carrySpend is gone: spend is counted under principal.chain
  carrySpend(_from: string, _to: string) {}
}
`,
  );
  // Every \`\`\`ts block of docs/EMBEDDING.md, as written and in its order (the second serves the
  // first's gateway), its import of "mindgw" the package; only the parts it leaves to the reader
  // are declared.
  const blocks = [
    ...readFileSync(join(root, "docs/EMBEDDING.md"), "utf8").matchAll(/^```ts\n([\s\S]*?)^```$/gm),
  ];
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  writeFileSync(
    join(project, "doc-blocks.ts"),
    `import type { Authenticator, EventSink, Logger, Policy, ProviderFactory, Storage } from "mindgw";
declare const yamlShapedObject: unknown, auth: Authenticator, storage: Storage, events: EventSink[];
declare const policy: Policy, providers: ProviderFactory, logger: Logger, pluginTimeoutMs: number;
${blocks.map((block) => block[1]).join("\n")}`,
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ESNext",
        module: "Preserve",
        moduleResolution: "bundler",
        lib: ["ESNext", "DOM"],
        types: ["bun"],
        typeRoots: [join(root, "node_modules/@types")],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        resolveJsonModule: true,
        paths: { mindgw: [join(root, "src/index.ts")] },
      },
      files: ["app.ts", "doc-blocks.ts"],
    }),
  );
  const tsc = Bun.spawn([join(root, "node_modules/.bin/tsc"), "-p", project], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = await new Response(tsc.stdout).text();
  expect(output).toBe("");
  expect(await tsc.exited).toBe(0);
  // One tsc run over the library: seconds alone, 18-30 s on two cores shared with other runs. A
  // bound for a hung tsc, not a timing assertion.
}, 90_000);
