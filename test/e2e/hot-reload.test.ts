import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { stringify } from "yaml";
import type { TenantReport } from "../../src/tenants/tenant-usage.ts";
import { type FakeUpstream, startFakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { createKey } from "./harness/admin-api.ts";
import { configRead, makeConfigFifo } from "./harness/config-fifo.ts";
import { listenToEvents } from "./harness/event-stream.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Issue 2, config hot reload through the binary: the file is replaced by rename (as deploy
 * tools do); a valid edit swaps in without a restart while in-flight requests finish on the
 * old config; an invalid edit is rejected, logged and shown in the admin status, and the old
 * config keeps serving until a later valid edit.
 */

let a: FakeUpstream;
let b: FakeUpstream;
let gw: GatewayProcess;

const providers = () => [
  { name: "a", type: "openai", base_url: `${a.url}/v1` },
  { name: "b", type: "openai", base_url: `${b.url}/v1` },
];
const model = (name: string, provider: string) => ({
  name,
  routes: [{ provider, model: `${name}-${provider}` }],
});

const fx = gatewayFixture({
  fakeRoutes: false,
  config: async (_aUrl, { fake, own }) => {
    a = fake;
    b = own(await startFakeUpstream());
    return { providers: providers(), models: [model("m1", "a")] };
  },
});

beforeAll(() => {
  gw = fx.gw;
});

const client = () => new OpenAI({ apiKey: gw.adminKey ?? "", baseURL: `${gw.url}/v1`, maxRetries: 0 });
const ask = (text = "hi") => [{ role: "user" as const, content: text }];

interface Status {
  config: { version: number; lastReloadError: string | null };
}

async function status(): Promise<Status> {
  const response = await fetch(`${gw.url}/admin/api/status`, {
    headers: { authorization: `Bearer ${gw.adminKey}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Status;
}

/** The upstream model a request for `name` lands on, or the HTTP status it failed with. */
async function servedBy(name: string): Promise<string | number> {
  try {
    return (await client().chat.completions.create({ model: name, messages: ask() })).model;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error.status ?? 0;
    throw error;
  }
}

const waitForVersion = (version: number) =>
  waitFor(`config version ${version}`, async () => {
    const current = await status();
    return current.config.version === version ? current : undefined;
  });

describe("hot reload", () => {
  test("a valid edit swaps in without a restart; an in-flight stream finishes on the old config", async () => {
    expect(await servedBy("m1")).toBe("m1-a");
    expect(await servedBy("m2")).toBe(404);
    const before = await status();

    const stream = await client().chat.completions.create({
      model: "m1",
      messages: ask("[[fake:chunks=20,chunk-delay=100]] a long story"),
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);

    // m1 moves to `b`, and m2 appears.
    await gw.writeConfig({ providers: providers(), models: [model("m1", "b"), model("m2", "b")] });
    await waitForVersion(before.config.version + 1);
    expect(await servedBy("m2")).toBe("m2-b");
    expect(await servedBy("m1")).toBe("m1-b");

    // The stream that started before the reload still comes from `a`, whole.
    let chunks = 1;
    let text = first.done ? "" : (first.value.choices[0]?.delta.content ?? "");
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      chunks++;
      text += next.value.choices[0]?.delta.content ?? "";
    }
    expect(chunks).toBeGreaterThanOrEqual(20);
    expect(text.length).toBeGreaterThan(0);
    const streamed = a.requests.find((r) => (r.body as { stream?: boolean }).stream === true);
    expect(await streamed?.settled).toBe("completed");
    // Info lines are written within 10 ms, not at once (src/log/batched-write.ts).
    await waitFor("the reload logged", () => gw.stderr.all.includes("config reloaded"));
  });

  test("an invalid edit is rejected: logged, shown in the status, old config keeps serving", async () => {
    const before = await status();
    await gw.writeConfig({
      providers: providers(),
      models: [
        model("m1", "b"),
        model("m2", "b"),
        { name: "m3", routes: [{ provider: "opnai", model: "x" }] },
      ],
    });
    const rejected = await waitFor("the rejection in the status", async () => {
      const current = await status();
      return current.config.lastReloadError ? current : undefined;
    });
    expect(rejected.config.lastReloadError).toContain(
      'models[2].routes[0].provider: unknown provider "opnai"',
    );
    expect(rejected.config.version).toBe(before.config.version);
    await waitFor("the rejection on stderr", () => gw.stderr.match(/config change rejected/));
    expect(gw.stderr.all).toContain('unknown provider "opnai"');
    expect(await servedBy("m2")).toBe("m2-b");
    expect(await servedBy("m3")).toBe(404);

    // SIGHUP while the file still says the same: rejected still, not "nothing to reload".
    const from = gw.stderr.all.length;
    gw.proc.kill("SIGHUP");
    const answer = await waitFor("the SIGHUP's answer", () =>
      gw.stderr.all.slice(from).match(/config file unchanged and still rejected.*\n.*/),
    );
    expect(answer[0]).toContain('models[2].routes[0].provider: unknown provider "opnai"');
    expect(gw.stderr.all.slice(from)).not.toContain("nothing to reload");
  });

  test("a rejection's log line and status place each problem in the file: file:line:column, a plain value quoted, a variable named", async () => {
    const rejection = async (lines: string[]) => {
      const from = gw.stderr.all.length;
      await gw.writeConfig(`${lines.join("\n")}\n`);
      await waitFor("the rejection on stderr", () =>
        gw.stderr.all.slice(from).includes("config change rejected"),
      );
      return { logged: gw.stderr.all.slice(from), status: (await status()).config.lastReloadError };
    };
    // A text log record is one line: the newlines in its message are written escaped, as "\\n".
    const models = "models: [{ name: m1, routes: [{ provider: a, model: m1-a }] }]";
    const unset = await rejection([
      "providers:",
      `  - { name: a, type: openai, base_url: \${MINDGW_E2E_UNSET_URL} }`,
      models,
    ]);
    const unsetSaid = `${gw.configPath}:2:40: providers[0].base_url: environment variable MINDGW_E2E_UNSET_URL is not set`;
    expect(unset.logged).toContain(
      `config change rejected, still serving the previous config:\\n${unsetSaid}`,
    );
    expect(unset.status).toBe(unsetSaid);
    const literal = await rejection([
      "providers:",
      `  - { name: a, type: openai, base_url: "${a.url}/v1" }`,
      models,
      "log: { format: txt }",
    ]);
    const literalSaid = `${gw.configPath}:4:16: log.format: Invalid option: expected one of "text"|"json" (got "txt")`;
    expect(literal.logged).toContain(
      `config change rejected, still serving the previous config:\\n${literalSaid}`,
    );
    expect(literal.status).toBe(literalSaid);
    expect(await servedBy("m2")).toBe("m2-b");
  });

  test("broken YAML is rejected the same way", async () => {
    const before = await status();
    await gw.writeConfig("models: [ { name: m4\nproviders: : :\n");
    const rejected = await waitFor("the YAML rejection", async () => {
      const current = await status();
      return current.config.lastReloadError?.includes("not valid YAML") ? current : undefined;
    });
    expect(rejected.config.version).toBe(before.config.version);
    expect(await servedBy("m1")).toBe("m1-b");
  });

  test("a later valid edit is picked up and clears the error", async () => {
    const before = await status();
    await gw.writeConfig({ providers: providers(), models: [model("m1", "a"), model("m3", "a")] });
    const after = await waitForVersion(before.config.version + 1);
    expect(after.config.lastReloadError).toBeNull();
    expect(await servedBy("m3")).toBe("m3-a");
    expect(await servedBy("m1")).toBe("m1-a");
    // m2 left the config, so it is gone.
    expect(await servedBy("m2")).toBe(404);
  });
});

describe("hot reload through symlinks", () => {
  /** Whether `model` routes on `target` (a 200), with the key that gateway printed. */
  const routes = async (target: GatewayProcess, model: string) => {
    const response = await fetch(`${target.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: ask() }),
    });
    await response.arrayBuffer();
    return response.status === 200;
  };

  test("a Kubernetes ConfigMap update, then an edit of the file its link leads to, are applied", async () => {
    // The tree kubelet mounts (deploy/kubernetes/gateway.yaml mounts one at /etc/mindgw):
    // config.yaml -> ..data/config.yaml, ..data -> ..v1, the files in ..v1/.
    const root = join(fx.dir, "configmap");
    const db = join(fx.dir, "configmap.db");
    const version = (name: string, models: string[]) => {
      mkdirSync(join(root, name), { recursive: true });
      const config = {
        storage: { path: db },
        providers: providers(),
        models: models.map((m) => model(m, "a")),
      };
      writeFileSync(join(root, name, "config.yaml"), stringify(config));
    };
    version("..v1", ["m1"]);
    symlinkSync("..v1", join(root, "..data"));
    symlinkSync("..data/config.yaml", join(root, "config.yaml"));
    const mounted = await fx.spawn({ dir: fx.dir, configPath: join(root, "config.yaml") });
    expect(await routes(mounted, "m1")).toBe(true);
    expect(await routes(mounted, "m-v2")).toBe(false);

    // A ConfigMap update: the new version's folder, then ..data swapped in one rename.
    version("..v2", ["m1", "m-v2"]);
    symlinkSync("..v2", join(root, "..data_tmp"));
    renameSync(join(root, "..data_tmp"), join(root, "..data"));
    await waitFor("the ConfigMap update to apply", () => routes(mounted, "m-v2"));

    // The file the links now lead to, written in place (a symlink to a file edited elsewhere).
    version("..v2", ["m1", "m-v2", "m-edited"]);
    await waitFor("the in-place edit to apply", () => routes(mounted, "m-edited"));
    expect(mounted.stderr.all).not.toContain("rejected");
  });
});

describe("restart-only settings", () => {
  test("cluster: added to a running node's file is reported as restart required, not joined", async () => {
    // On PostgreSQL, so that the edited file is valid: only what cluster: is changes.
    const postgres = await startPostgres();
    fx.deferTest(() => postgres.stop());
    const config = {
      storage: { driver: "postgres", url: await postgres.createDatabase("reload"), sslmode: "disable" },
      providers: providers(),
      models: [model("m1", "a")],
    };
    const node = await fx.spawn({ config });
    const statusOf = async () =>
      (await (
        await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${node.adminKey}` } })
      ).json()) as { config: { version: number; restartRequired: string[] }; cluster?: unknown };
    // A Redis nobody listens on: the node must not try it, or show a cluster in its status.
    const cluster = {
      redis_url: `redis://127.0.0.1:${freePort()}`,
      advertise_url: node.url,
      secret: "0123456789abcdef0123",
    };
    await node.writeConfig({ ...config, models: [model("m1", "a"), model("m2", "a")], cluster });
    const after = await waitFor("the edit to apply", async () => {
      const current = await statusOf();
      return current.config.version === 2 ? current : undefined;
    });
    expect(after.config.restartRequired).toEqual(["cluster"]);
    expect(after.cluster).toBeUndefined();
    await waitFor("the restart-required warning", () =>
      node.stderr.all.includes("restart required for: cluster"),
    );
    // The rest of the edit is applied.
    const m2 = await fetch(`${node.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${node.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m2", messages: ask() }),
    });
    expect(m2.status).toBe(200);
  });

  test("a restart-only edit: SIGHUP says the restart still waits; put back as at start it applies nothing, no new version", async () => {
    const config = { providers: providers(), models: [model("m1", "a")] };
    const node = await fx.spawn({ config });
    const statusOf = async () =>
      (await (
        await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${node.adminKey}` } })
      ).json()) as { config: { version: number; restartRequired: string[] } };
    await node.writeConfig({ ...config, workers: { max_message: "2MB" } });
    await waitFor("the restart-required warning", () =>
      node.stderr.all.includes("config change not applied: restart required for: workers.max_message"),
    );
    expect((await statusOf()).config).toMatchObject({ version: 1, restartRequired: ["workers.max_message"] });
    // SIGHUP with the file as it is: unchanged, but the restart it waits for is still said.
    node.proc.kill("SIGHUP");
    await waitFor("the SIGHUP's answer", () =>
      node.stderr.all.includes("config file unchanged; restart still required for: workers.max_message"),
    );
    expect(node.stderr.all).not.toContain("nothing to reload");
    await node.writeConfig(config);
    await waitFor("the edit put back", () =>
      node.stderr.all.includes("restart-only settings back as at start (version 1 serves on)"),
    );
    expect((await statusOf()).config).toMatchObject({ version: 1, restartRequired: [] });
    expect(node.stderr.all).not.toContain("config reloaded");
  });

  test("an edit that undoes a restart-only and a rejected one is published as config.restored: the status's last event says it is over", async () => {
    const config = { providers: providers(), models: [model("m1", "a")] };
    const node = await fx.spawn({ config });
    const stream = listenToEvents(node);
    const statusOf = async () =>
      (await (
        await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${node.adminKey}` } })
      ).json()) as {
        config: {
          version: number;
          lastReloadError: string | null;
          restartRequired: string[];
          lastEvent: unknown;
        };
      };
    const configTypes = (): string[] =>
      stream.events.filter((e) => e.type.startsWith("config.")).map((e) => e.type);
    const until = (types: string[]) =>
      waitFor(`config events ${types.join(", ")}`, () => configTypes().length >= types.length, 15_000).then(
        () => expect(configTypes()).toEqual(types),
      );
    try {
      await stream.ready;
      // The auditor's steps: a restart-only edit, then an invalid one, then the file as at start.
      await node.writeConfig({ ...config, server: { idle_timeout: "40s" } });
      await until(["config.restart_required"]);
      await node.writeConfig({ ...config, bogus_top: 1 });
      await until(["config.restart_required", "config.rejected"]);
      await node.writeConfig(config);
      await until(["config.restart_required", "config.rejected", "config.restored"]);
      expect(stream.events.at(-1)).toMatchObject({ type: "config.restored", version: 1 });
      expect((await statusOf()).config).toMatchObject({
        version: 1,
        lastReloadError: null,
        restartRequired: [],
        lastEvent: { type: "config.restored", version: 1 },
      });
      // A rejection alone, undone, says so too.
      const earlier = ["config.restart_required", "config.rejected", "config.restored"];
      await node.writeConfig({ ...config, bogus_top: 1 });
      await until([...earlier, "config.rejected"]);
      await node.writeConfig(config);
      await until([...earlier, "config.rejected", "config.restored"]);
      await waitFor("the log's line", () => node.stderr.all.includes("the rejected edit is undone"));
      // An edit of nothing in force, with nothing pending, settles nothing: no event for it.
      const commented = stringify({ storage: { path: `${node.dir}/mindgw.db` }, ...config });
      await node.writeConfig(`${commented}# a comment\n`);
      await waitFor("the comment read", () => node.stderr.all.includes("nothing in force differs"));
      await node.writeConfig({ ...config, models: [model("m2", "a")] });
      await until([...earlier, "config.rejected", "config.restored", "config.reloaded"]);
    } finally {
      stream.close();
    }
  });
});

describe("a rejected edit undone while a restart-only edit waits", () => {
  test("is published as config.restored carrying what still waits, logged as the undo and counted as restored, not as a second restart_required", async () => {
    // It was config.restart_required with nothing said of the undo, counted restart_required twice.
    const config = { providers: providers(), models: [model("m1", "a")] };
    const node = await fx.spawn({ config });
    const stream = listenToEvents(node);
    const admin = { headers: { authorization: `Bearer ${node.adminKey}` } };
    const configTypes = (): string[] =>
      stream.events.filter((e) => e.type.startsWith("config.")).map((e) => e.type);
    const until = (types: string[]) =>
      waitFor(`config events ${types.join(", ")}`, () => configTypes().length >= types.length, 15_000).then(
        () => expect(configTypes()).toEqual(types),
      );
    try {
      await stream.ready;
      const waiting = { ...config, server: { idle_timeout: "40s" } };
      await node.writeConfig(waiting);
      await until(["config.restart_required"]);
      await node.writeConfig({ ...waiting, bogus_top: 1 });
      await until(["config.restart_required", "config.rejected"]);
      await node.writeConfig(waiting);
      await until(["config.restart_required", "config.rejected", "config.restored"]);
      expect(stream.events.at(-1)).toMatchObject({
        type: "config.restored",
        version: 1,
        restartRequired: ["server.idle_timeout"],
      });
      const status = (await (await fetch(`${node.url}/admin/api/status`, admin)).json()) as {
        config: object;
      };
      expect(status.config).toMatchObject({
        version: 1,
        lastReloadError: null,
        restartRequired: ["server.idle_timeout"],
        lastEvent: { type: "config.restored", restartRequired: ["server.idle_timeout"] },
      });
      await waitFor("the undo logged", () =>
        node.stderr.all.includes(
          "the rejected edit is undone, the file as in force; restart still required for: server.idle_timeout (version 1 serves on)",
        ),
      );
      const metrics = await (await fetch(`${node.url}/metrics`, admin)).text();
      for (const [result, count] of [
        ["restart_required", 1],
        ["rejected", 1],
        ["restored", 1],
        ["applied", 0],
      ] as const)
        expect(metrics).toContain(`mindgw_config_reloads_total{result="${result}"} ${count}\n`);
    } finally {
      stream.close();
    }
  });
});

describe("a reload that adds a provider without usable credentials", () => {
  test("warns of it as the start and config check do, once: a later reload that leaves it unchanged does not again", async () => {
    // The start and `config check` said so; a reload that added it said nothing until its first 502.
    const config = { providers: providers(), models: [model("m1", "a")] };
    const node = await fx.spawn({ config, env: { GEMINI_API_KEY: "" } });
    const gemini = { name: "gm", type: "gemini" };
    const route = {
      name: "gem",
      allow_unpriced: true,
      routes: [{ provider: "gm", model: "gemini-2.5-flash" }],
    };
    const warning =
      'provider has no usable credentials: its calls will answer 502 provider=gm type=gemini missing="no api_key in config and GEMINI_API_KEY is unset" routes="gem (route gm/gemini-2.5-flash)"';
    const warnings = () => node.stderr.all.split(warning).length - 1;
    await node.writeConfig({ providers: [...providers(), gemini], models: [model("m1", "a"), route] });
    await waitFor("the reload's warning", () => warnings() === 1);
    await node.writeConfig({ providers: [...providers(), gemini], models: [model("m2", "a"), route] });
    await waitFor("the second reload", () => node.stderr.all.includes("config reloaded (version 3)"));
    expect(warnings()).toBe(1);
  });
});

describe("a tenant's budget changed by a reload", () => {
  test("a day budget given, or a period changed, counts the period's spend so far, not $0 from the reload; a tenant moved to a month longer than the audit log keeps is warned of", async () => {
    // A dollar a token, so a call costs what its usage says, in whole dollars.
    const base = {
      providers: providers(),
      models: [model("m1", "a")],
      prices: { m1: { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 } },
      audit: { retention: "7d" },
    };
    const node = await fx.spawn({
      config: { ...base, tenants: [{ name: "acme" }, { name: "globex", budget: { usd: 1000, per: "day" } }] },
    });
    const [acme, globex] = [
      (await createKey(node, { name: "a1", tenant: "acme" })).key,
      (await createKey(node, { name: "b1", tenant: "globex" })).key,
    ];
    const chat = async (key: string) => {
      const response = await fetch(`${node.url}/v1/chat/completions`, {
        method: "POST",
        headers: bearer(key),
        body: chatBody("m1"),
      });
      const body = (await response.json()) as {
        usage?: { prompt_tokens: number; completion_tokens: number };
        error?: { code: string };
      };
      return { status: response.status, body };
    };
    const tenantsReport = async () => {
      const response = await fetch(`${node.url}/admin/api/tenants`, { headers: bearer(node.adminKey ?? "") });
      const { tenants } = (await response.json()) as { tenants: TenantReport[] };
      return tenants.map((t) => [t.name, t.budget?.per, t.usage.costUsd, t.remainingUsd]);
    };
    let cost = 0;
    for (const key of [acme, acme, globex, globex]) {
      const { status, body } = await chat(key);
      expect(status).toBe(200);
      cost = (body.usage?.prompt_tokens ?? 0) + (body.usage?.completion_tokens ?? 0);
    }
    expect(cost).toBeGreaterThan(0);
    // Spend is written a second at most after it is made.
    const before = [
      ["acme", undefined, 2 * cost, null],
      ["globex", "day", 2 * cost, 1000 - 2 * cost],
    ];
    await waitFor("both tenants' spend in the report", async () =>
      Bun.deepEquals(await tenantsReport(), before),
    );

    // acme gets a day budget that its two calls leave half a call of; globex's day becomes a month.
    await node.writeConfig({
      ...base,
      tenants: [
        { name: "acme", budget: { usd: 2.5 * cost, per: "day" } },
        { name: "globex", budget: { usd: 1000, per: "month" } },
      ],
    });
    await waitFor("the reload", () => node.stderr.all.includes("config reloaded (version 2)"));
    const reloadedAt = node.stderr.all.indexOf("config reloaded (version 2)");
    // The same day and month: each tenant's two calls still, not $0 and the whole budget.
    expect(await tenantsReport()).toEqual([
      ["acme", "day", 2 * cost, 0.5 * cost],
      ["globex", "month", 2 * cost, 1000 - 2 * cost],
    ]);
    // And the budget is enforced against it: one more call, then acme's day is spent.
    expect((await chat(acme)).status).toBe(200);
    const refused = await chat(acme);
    expect([refused.status, refused.body.error?.code]).toEqual([429, "budget_exceeded"]);

    // Started with acme counted over the month; now globex is, which the reload says.
    expect(node.stderr.all.slice(0, reloadedAt)).toContain(
      "audit.retention (7d) is shorter than the usage period of tenant acme (a month, up to 31 days)",
    );
    await waitFor("the reload's retention warning", () =>
      node.stderr.all
        .slice(reloadedAt)
        .includes(
          "audit.retention (7d) is shorter than the usage period of tenant globex (a month, up to 31 days)",
        ),
    );
  });
});

describe("an edit made while the gateway starts", () => {
  test("is applied once the gateway is up, though no change event comes for it", async () => {
    // The gateway reads its config, then opens its store, builds its parts, and only then starts
    // watching the file: an edit in between is one the watch never hears of. To land the edit
    // there every time, the config file is a FIFO (this test hands the gateway its text and so
    // knows when it was read) and the store is locked until the edit is made.
    const dir = join(fx.dir, "starting");
    mkdirSync(dir);
    const path = join(dir, "mindgw.yaml");
    const db = join(dir, "mindgw.db");
    const config = (models: string[]) =>
      stringify({ storage: { path: db }, providers: providers(), models: models.map((m) => model(m, "a")) });
    makeConfigFifo(path);
    const lock = new Database(db, { create: true });
    lock.run("PRAGMA journal_mode = WAL");
    lock.run("BEGIN IMMEDIATE");
    const starting = fx.spawn({ dir, configPath: path });
    try {
      (await configRead(path))(config(["m1"]));
      // The edit, while the gateway waits for its store: m-edit is added.
      writeFileSync(`${path}.tmp`, config(["m1", "m-edit"]));
      renameSync(`${path}.tmp`, path);
    } finally {
      lock.run("COMMIT");
      lock.close();
    }
    const started = await starting;
    const routes = async (name: string) => {
      const response = await fetch(`${started.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${started.adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: name, messages: ask() }),
      });
      await response.arrayBuffer();
      return response.status === 200;
    };
    await waitFor("the edit to apply", () => routes("m-edit"));
    expect(await routes("m1")).toBe(true);
    await waitFor("the reload logged", () => started.stderr.all.includes("config reloaded (version 2)"));
  });
});
