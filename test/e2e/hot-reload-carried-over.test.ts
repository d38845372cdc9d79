import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { TenantReport } from "../../src/tenants/tenant-usage.ts";
import { createKey } from "./harness/admin-api.ts";
import { configRead, makeConfigFifo } from "./harness/config-fifo.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { ask, hotReloadFixture, model } from "./harness/hot-reload-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Config hot reload through the binary (harness/hot-reload-fixture.ts, split from
 * hot-reload.test.ts), on gateways of each test's own: what a reload carries over from the start —
 * the warning of a provider without usable credentials, a tenant's spend so far under a changed
 * budget, and an edit made while the gateway starts.
 */

const hr = hotReloadFixture({ gateway: false });
const { fx, providers } = hr;

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
