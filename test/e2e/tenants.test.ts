import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import type { AuditRecord } from "../../src/audit/audit-record.ts";
import type { TenantReport } from "../../src/tenants/tenant-usage.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { listenToEvents } from "./harness/event-stream.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { spawnTail } from "./harness/spawn-tail.ts";
import { spawnWorker, tailEvents, waitForWorkers } from "./harness/spawn-worker.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// Tenants through the compiled binary: a tenant's models, rpm and budget bind all its keys
// together; a model and a provider scoped to one tenant do not exist for the others; every read
// path a non-admin can reach (audit, export, events/tail, usage, stored responses) is held to
// the caller's tenant.

let gw: GatewayProcess;
const dir = tempDir();
/** team-b's own upstream credential: only team-b's calls may reach the fake with it. */
const TEAM_B_ACCOUNT = "sk-team-b-own";

const fx = gatewayFixture({
  dir: dir.path,
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    providers: [
      { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
      {
        name: "fake-b",
        type: "openai",
        base_url: `${fake.url}/v1`,
        api_key: TEAM_B_ACCOUNT,
        tenant: "team-b",
      },
    ],
    models: [
      { name: "m1", routes: [{ provider: "fake", model: "m1" }] },
      { name: "m2", routes: [{ provider: "fake", model: "m2" }] },
      {
        name: "secret-b",
        aliases: ["secret-b-alias", "secret-glob-*"],
        tenant: "team-b",
        routes: [{ provider: "fake-b", model: "m1" }],
      },
    ],
    routing: { retries: 0 },
    // $0.1 per token, so one chat costs more than team-budget's day.
    prices: { m1: { input_per_mtok: 100_000, output_per_mtok: 100_000 } },
    tenants: [
      { name: "team-a", models: ["m1", "m2"], rpm: 4 },
      { name: "team-b" },
      { name: "team-m", models: ["m1"] },
      { name: "team-budget", budget: { usd: 0.05, per: "day" } },
      { name: "team-tpm", tpm: 1 },
      { name: "team-c" }, // no models, no limits: only another tenant's scoping stands in its way
    ],
  }),
});

beforeAll(async () => {
  gw = fx.gw;
}, 30_000);

const chat = (key: string, model = "m1") =>
  fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: bearer(key), body: chatBody(model) });
const key = async (name: string, tenant?: string, extra: { rpm?: number } = {}) =>
  (await createKey(gw, { name, ...(tenant ? { tenant } : {}), ...extra })).key;
const get = (path: string, token: string) => fetch(`${gw.url}${path}`, { headers: bearer(token) });

describe("a tenant's limits bind all its keys together", () => {
  test("rpm 4 over three keys: exactly four calls pass, whichever key makes them", async () => {
    const keys = [await key("a1", "team-a"), await key("a2", "team-a"), await key("a3", "team-a")];
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await chat(keys[i % 3]!);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get("retry-after")).toBeTruthy();
        expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
          'tenant "team-a"',
        );
      } else await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429]);
  });

  test("tpm 1: one key's answer uses the tenant's tokens, and every key of the tenant is refused", async () => {
    const [first, second] = [await key("tpm-1", "team-tpm"), await key("tpm-2", "team-tpm")];
    const used = await chat(first);
    expect(used.status).toBe(200);
    await used.arrayBuffer();
    for (const k of [second, first]) {
      const refused = await chat(k);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBeTruthy();
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
        'tenant "team-tpm"',
      );
    }
    // The same key outside the tenant's scope is untouched: another tenant's keys still pass.
    expect((await chat(await key("tpm-other", "team-b"))).status).toBe(200);
  });

  test("a budget of $0.05 a day: once one key spends it, every key of the tenant is refused", async () => {
    const [first, second] = [await key("budget-1", "team-budget"), await key("budget-2", "team-budget")];
    const spent = await chat(first);
    expect(spent.status).toBe(200);
    await spent.arrayBuffer();
    // Retry-After: the seconds until the tenant's day ends (UTC), on both dialects.
    const untilMidnight = () => {
      const now = new Date();
      return (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
    };
    for (const k of [first, second]) {
      const latest = Math.ceil(untilMidnight());
      const refused = await chat(k);
      const anthropic = await fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": k, "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "m1", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
      });
      const earliest = Math.floor(untilMidnight());
      for (const res of [refused, anthropic]) {
        expect(res.status).toBe(429);
        const retryAfter = Number(res.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThanOrEqual(Math.max(1, earliest));
        expect(retryAfter).toBeLessThanOrEqual(latest);
        expect(res.headers.get("x-should-retry")).toBe("false");
      }
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("budget_exceeded");
      expect(((await anthropic.json()) as { error: { type: string } }).error.type).toBe("rate_limit_error");
    }
    // Another tenant's key is untouched.
    expect((await chat(await key("other-b", "team-b"))).status).toBe(200);
  });

  test("the tenant's models narrow every key: listed and callable only within them", async () => {
    const k = await key("narrow", "team-m");
    expect((await chat(k, "m2")).status).toBe(404);
    expect((await chat(k, "m1")).status).toBe(200);
    const listed = (await (await get("/v1/models", k)).json()) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).toEqual(["m1"]);
  });
});

describe("a tenant-scoped model does not exist for anyone else", () => {
  test("team-b uses it through its own provider; others get the SDK's NotFoundError and never see it listed", async () => {
    const b = new OpenAI({ apiKey: await key("b-sdk", "team-b"), baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const answer = await b.chat.completions.create({
      model: "secret-b",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect((await b.models.list()).data.map((m) => m.id)).toContain("secret-b");
    for (const token of [await key("a-outsider", "team-a"), gw.adminKey ?? ""]) {
      const other = new OpenAI({ apiKey: token, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const failure = await other.chat.completions
        .create({ model: "secret-b", messages: [{ role: "user", content: "hi" }] })
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
      expect((await other.models.list()).data.map((m) => m.id)).not.toContain("secret-b");
    }
  });

  test("nor do its aliases, glob ones included: no one else lists, retrieves or calls them, nor reaches team-b's account", async () => {
    const post = (token: string, path: string, body: object) =>
      fetch(`${gw.url}${path}`, { method: "POST", headers: bearer(token), body: JSON.stringify(body) });
    const calls = (model: string): [string, object][] => [
      ["/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] }],
      ["/v1/embeddings", { model, input: "hi" }],
      ["/v1/completions", { model, prompt: "hi" }],
    ];
    const teamB = await key("b-alias", "team-b");
    for (const model of ["secret-b-alias", "secret-glob-x"]) {
      const own = await post(teamB, "/v1/chat/completions", calls(model)[0]![1]);
      expect(own.status).toBe(200);
      await own.arrayBuffer();
      expect((await get(`/v1/models/${model}`, teamB)).status).toBe(200);
    }
    const onTeamB = () =>
      fx.fake.requests.filter((r) => r.headers.authorization === `Bearer ${TEAM_B_ACCOUNT}`).length;
    const sentBefore = onTeamB();
    for (const token of [await key("c-alias", "team-c"), await key("no-tenant-alias"), fx.adminKey]) {
      const listed = (await (await get("/v1/models", token)).json()) as { data: { id: string }[] };
      expect(listed.data.map((m) => m.id).filter((id) => id.startsWith("secret"))).toEqual([]);
      for (const model of ["secret-b-alias", "secret-glob-x"]) {
        const retrieved = await get(`/v1/models/${model}`, token);
        expect([
          retrieved.status,
          ((await retrieved.json()) as { error: { code: string } }).error.code,
        ]).toEqual([404, "model_not_found"]);
        for (const [path, body] of calls(model)) {
          const refused = await post(token, path, body);
          expect([
            refused.status,
            ((await refused.json()) as { error: { code: string } }).error.code,
          ]).toEqual([404, "model_not_found"]);
        }
      }
    }
    expect(onTeamB()).toBe(sentBefore);
  });
});

describe("isolation on every read path", () => {
  let aKey = "";
  let bKey = "";
  let aRequest = "";
  let bRequest = "";
  beforeAll(async () => {
    aKey = await key("reader-a2", "team-m");
    bKey = await key("reader-b", "team-b");
    const a = await chat(aKey);
    aRequest = a.headers.get("x-request-id") ?? "";
    await a.arrayBuffer();
    const b = await chat(bKey);
    bRequest = b.headers.get("x-request-id") ?? "";
    await b.arrayBuffer();
    await auditRow(gw, aRequest);
    await auditRow(gw, bRequest);
  });

  test("/admin/api/audit: a member sees only its tenant's rows; asking for another tenant's is refused", async () => {
    for (const query of ["", "?tenant=team-m"]) {
      const res = await get(`/admin/api/audit${query}`, aKey);
      expect(res.status).toBe(200);
      const rows = ((await res.json()) as { records: AuditRecord[] }).records;
      expect(rows.some((r) => r.requestId === aRequest)).toBe(true);
      expect(rows.every((r) => r.tenant === "team-m")).toBe(true);
    }
    const exported = await (await get("/admin/api/audit/export", aKey)).text();
    expect(exported).toContain(aRequest);
    expect(exported).not.toContain(bRequest);
    // Not its own tenant's rows passed off as team-b's: a 403 naming the tenant it reads.
    for (const path of ["/admin/api/audit?tenant=team-b", "/admin/api/audit/export?tenant=team-b"]) {
      const refused = await get(path, aKey);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('reads only its own tenant \\"team-m\\"');
    }
  });

  test("an admin sees every tenant and can filter by one; a key outside every tenant reads nothing", async () => {
    const admin = gw.adminKey ?? "";
    const all = ((await (await get("/admin/api/audit", admin)).json()) as { records: AuditRecord[] }).records;
    expect(all.some((r) => r.requestId === aRequest) && all.some((r) => r.requestId === bRequest)).toBe(true);
    const onlyB = (
      (await (await get("/admin/api/audit?tenant=team-b", admin)).json()) as {
        records: AuditRecord[];
      }
    ).records;
    expect(onlyB.length).toBeGreaterThan(0);
    expect(onlyB.every((r) => r.tenant === "team-b")).toBe(true);
    const outsider = await get("/admin/api/audit", await key("no-tenant"));
    expect(outsider.status).toBe(403);
    expect((await get("/admin/api/status", bKey)).status).toBe(403);
  });

  test("an admin key in a tenant reads only its own tenant's rows and keys; asking for another tenant's is refused, API and CLI", async () => {
    const bAdmin = (await createKey(gw, { name: "admin-b", tenant: "team-b", role: "admin" })).key;
    for (const query of ["", "?tenant=team-b"]) {
      const res = await get(`/admin/api/audit${query}`, bAdmin);
      expect(res.status).toBe(200);
      const rows = ((await res.json()) as { records: AuditRecord[] }).records;
      expect(rows.some((r) => r.requestId === bRequest)).toBe(true);
      expect(rows.filter((r) => r.tenant !== "team-b")).toEqual([]);
    }
    const exported = await (await get("/admin/api/audit/export", bAdmin)).text();
    expect(exported).toContain(bRequest);
    expect(exported).not.toContain(aRequest);
    for (const path of [
      "/admin/api/audit?tenant=team-m",
      "/admin/api/tenants?tenant=team-m",
      "/admin/api/keys?tenant=team-m",
    ])
      expect((await get(path, bAdmin)).status).toBe(403);
    const listed = await runMindgw([
      "keys",
      "list",
      "--tenant",
      "team-m",
      "--gateway",
      gw.url,
      "--admin-key",
      bAdmin,
    ]);
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toContain('this credential reads only its own tenant "team-b"');
    expect(listed.stdout).not.toContain("admin-b");
  });

  test("mindgw tail with a member's key shows only its tenant's requests", async () => {
    const tail = spawnTail(["--json", "--gateway", gw.url, "--admin-key", aKey]);
    try {
      // Requests keep coming until the tail is attached and shows one of its own tenant's.
      const seen = await waitFor(
        "the tail to show a team-m request",
        async () => {
          const b = await chat(bKey);
          await b.arrayBuffer();
          const a = await chat(aKey);
          await a.arrayBuffer();
          const id = a.headers.get("x-request-id");
          return tail.lines().some((l) => l.record?.requestId === id)
            ? b.headers.get("x-request-id")
            : undefined;
        },
        20_000,
        100,
      );
      expect(seen).toBeTruthy();
      const types = new Set(tail.lines().map((l) => l.type));
      expect([...types].every((t) => t === "request.started" || t === "request.finished")).toBe(true);
      expect(
        tail
          .lines()
          .every((l) => l.record === undefined || (l.record as { tenant?: string }).tenant === "team-m"),
      ).toBe(true);
    } finally {
      await tail.stop();
    }
  });

  test("/admin/api/events?tenant=: an admin reads that tenant's requests alone; a member naming another is refused", async () => {
    // An admin outside every tenant asking for team-b's part: team-b's requests, no one else's.
    const live = listenToEvents(gw, { query: "?tenant=team-b" });
    try {
      await live.ready;
      const seen = await waitFor(
        "team-b's request on the stream",
        async () => {
          const a = await chat(aKey);
          await a.arrayBuffer();
          const b = await chat(bKey);
          await b.arrayBuffer();
          const id = b.headers.get("x-request-id");
          return live.events.some((e) => e.type === "request.finished" && e.record.requestId === id);
        },
        20_000,
        100,
      );
      expect(seen).toBe(true);
      const tenants = live.events.map((e) =>
        e.type === "request.started" ? e.tenant : e.type === "request.finished" ? e.record.tenant : e.type,
      );
      expect([...new Set(tenants)]).toEqual(["team-b"]);
    } finally {
      live.close();
    }
    // A member naming another tenant: refused, not answered with its own tenant's events.
    const refused = await get("/admin/api/events?tenant=team-b", aKey);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('reads only its own tenant \\"team-m\\"');
    // A parameter the stream does not read is named, as on every other read view.
    const misspelt = await get("/admin/api/events?tennant=team-m", aKey);
    expect(misspelt.status).toBe(400);
    expect(await misspelt.text()).toContain("tennant");
  });

  test("/admin/api/tenants: usage and spend per tenant; a member sees only its own", async () => {
    const report = async () =>
      ((await (await get("/admin/api/tenants", gw.adminKey ?? "")).json()) as { tenants: TenantReport[] })
        .tenants;
    // Spend is the spend ledger's, written to the store within its flush (about a second behind
    // the limits that enforce it): read once it has the budget tenant's spend.
    const tenants = await waitFor("the budget tenant's spend flushed", async () => {
      const all = await report();
      return (all.find((t) => t.name === "team-budget")?.usage.costUsd ?? 0) > 0.05 && all;
    });
    const admin = { tenants };
    expect(admin.tenants.map((t) => t.name).sort()).toEqual([
      "team-a",
      "team-b",
      "team-budget",
      "team-c",
      "team-m",
      "team-tpm",
    ]);
    const budget = admin.tenants.find((t) => t.name === "team-budget")!;
    expect(budget.usage.requests).toBeGreaterThanOrEqual(3);
    expect(budget.usage.costUsd).toBeGreaterThan(0.05);
    expect(budget.remainingUsd).toBe(0);
    expect(budget.keys).toBe(2);
    const member = (await (await get("/admin/api/tenants", bKey)).json()) as { tenants: TenantReport[] };
    expect(member.tenants.map((t) => t.name)).toEqual(["team-b"]);
  });

  test("/metrics: each tenant's spend this day and month is the ledger's, as /admin/api/tenants says it", async () => {
    // The gauge reads the ledger as the limits do; the report, the store it is flushed to (about a
    // second behind): once flushed, they agree.
    const agreed = await waitFor("the gauge and the report to agree", async () => {
      const { tenants } = (await (await get("/admin/api/tenants", gw.adminKey ?? "")).json()) as {
        tenants: TenantReport[];
      };
      const metrics = parsePrometheus(await (await get("/metrics", gw.adminKey ?? "")).text());
      const gauge = (tenant: string, per: string) =>
        sampleValue(metrics, "mindgw_tenant_spend_usd", { tenant, per }) ?? Number.NaN;
      const pairs = tenants.map((t) => [gauge(t.name, t.budget?.per ?? "month"), t.usage.costUsd] as const);
      return pairs.every(([shown, spent]) => Math.abs(shown - spent) < 1e-9) && { metrics, gauge };
    });
    expect(agreed.gauge("team-budget", "day")).toBeGreaterThan(0.05);
    // Both periods of every configured tenant, the month holding the day.
    expect(agreed.gauge("team-budget", "month")).toBeGreaterThanOrEqual(agreed.gauge("team-budget", "day"));
    expect(agreed.gauge("team-c", "day")).toBe(0);
    expect(agreed.metrics.filter((s) => s.name === "mindgw_tenant_spend_usd").length).toBe(6 * 2);
  });

  test("a revoked key leaves its tenant's count, on /admin/api/tenants and in mindgw tenants", async () => {
    const counted = async () => {
      const res = await get("/admin/api/tenants", gw.adminKey ?? "");
      const api = ((await res.json()) as { tenants: TenantReport[] }).tenants.find(
        (t) => t.name === "team-tpm",
      );
      const cli = await runMindgw(["tenants", "--json", "-c", gw.configPath]);
      expect(cli.code).toBe(0);
      const local = (JSON.parse(cli.stdout) as { tenants: TenantReport[] }).tenants.find(
        (t) => t.name === "team-tpm",
      );
      return [api?.keys, local?.keys];
    };
    const doomed = await createKey(gw, { name: "tpm-doomed", tenant: "team-tpm" });
    const [before] = await counted();
    expect(await counted()).toEqual([before, before]);
    const res = await fetch(`${gw.url}/admin/api/keys/${doomed.id}/revoke`, {
      method: "POST",
      headers: bearer(gw.adminKey ?? ""),
    });
    expect(res.status).toBe(200);
    expect(await counted()).toEqual([before! - 1, before! - 1]);
  });

  test("CLI: keys list --tenant, audit query --tenant and tenants", async () => {
    const remote = ["--gateway", gw.url, "--admin-key", gw.adminKey ?? ""];
    const keys = await runMindgw(["keys", "list", "--tenant", "team-a", "--json", ...remote]);
    expect(keys.code).toBe(0);
    const names = (JSON.parse(keys.stdout) as { keys: { name: string; tenant: string }[] }).keys;
    expect(names.map((k) => k.name).sort()).toEqual(["a-outsider", "a1", "a2", "a3"]);
    const audit = await runMindgw(["audit", "query", "--tenant", "team-b", "--json", "-c", gw.configPath]);
    expect(audit.code).toBe(0);
    const rows = audit.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as AuditRecord);
    expect(rows.some((r) => r.requestId === bRequest)).toBe(true);
    expect(rows.every((r) => r.tenant === "team-b")).toBe(true);
    const tenants = await runMindgw(["tenants", "-c", gw.configPath]);
    expect(tenants.code).toBe(0);
    expect(tenants.stdout).toMatch(/^TENANT\s+KEYS/);
    expect(tenants.stdout).toMatch(/team-budget\s+2\s+-\s+-\s+\$0\.0500\/day/);
  });
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
    // (Refused: the tests before spent team-a's limits; a refusal is audited all the same.)
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

describe("a reload that removes a tenant", () => {
  test("refuses its keys as a JWT naming it is (401 in the caller's dialect), never widens them to every model, and warns naming the tenant and its keys", async () => {
    const config = (tenants: object[]) => ({
      providers: [{ name: "mock", type: "mock" }],
      models: ["m1", "m2"].map((name) => ({ name, routes: [{ provider: "mock", model: name }] })),
      tenants,
    });
    const kept = { name: "kept", models: ["m1"] };
    // The fixture's spawn: stopped after the test whatever happens.
    const own = await fx.spawn({ config: config([kept, { name: "gone", models: ["m1"], rpm: 5 }]) });
    const [goneKey, keptKey] = await Promise.all([
      createKey(own, { name: "gone-user", tenant: "gone" }),
      createKey(own, { name: "kept-user", tenant: "kept" }),
    ]);
    const openai = (token: string, model: string) =>
      fetch(`${own.url}/v1/chat/completions`, {
        method: "POST",
        headers: bearer(token),
        body: chatBody(model),
      });
    expect((await openai(goneKey.key, "m1")).status).toBe(200);
    expect((await openai(goneKey.key, "m2")).status).toBe(404);
    // A Responses WebSocket the key holds open, one turn served on it: closed at the reload, as
    // at a revoke, where it stayed open with every turn refused.
    const socket = new ResponsesWS(
      new OpenAI({ baseURL: `${own.url}/v1`, apiKey: goneKey.key, maxRetries: 0 }),
    );
    const socketEvents: string[] = [];
    let socketClosed: { code: number; reason: string } | undefined;
    socket.on("event", (event) => socketEvents.push(event.type));
    socket.on("error", () => undefined);
    socket.on("close", (code, reason) => {
      socketClosed = { code, reason };
    });
    socket.send({ type: "response.create", model: "m1", input: "hi" });
    await waitFor("a turn served on the socket", () => socketEvents.includes("response.completed"));

    await own.writeConfig(config([kept]));
    await waitFor("the reload applied", () => own.stderr.all.includes("config reloaded (version 2)"));
    await waitFor("the removed tenant's warning", () =>
      own.stderr.all.includes(
        'config reloaded without tenant "gone": its 1 active key is refused from now on (401)',
      ),
    );
    for (const model of ["m1", "m2"]) {
      const refused = await openai(goneKey.key, model);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({
        error: { code: "unauthorized", message: "invalid or missing credentials" },
      });
    }
    const anthropic = await fetch(`${own.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": goneKey.key,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({ model: "m2", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(anthropic.status).toBe(401);
    expect(await anthropic.json()).toMatchObject({
      type: "error",
      error: { type: "authentication_error", message: "invalid or missing credentials" },
    });
    expect((await fetch(`${own.url}/v1/models`, { headers: bearer(goneKey.key) })).status).toBe(401);
    expect(
      await waitFor("the socket closed", () => socketClosed, 10_000).finally(() => socket.close()),
    ).toEqual({ code: 1008, reason: "the API key's tenant was removed" });
    // The tenant left in place serves on, within its own models.
    expect((await openai(keptKey.key, "m1")).status).toBe(200);
    expect((await openai(keptKey.key, "m2")).status).toBe(404);
  });
});

describe("config checks", () => {
  test("a tenant's provider used by another tenant's model is refused with the path named", async () => {
    const path = `${dir.path}/bad.yaml`;
    await Bun.write(
      path,
      [
        "tenants: [{ name: t1 }]",
        "providers: [{ name: p, type: mock, tenant: t1 }]",
        "models: [{ name: m, routes: [{ provider: p, model: m }] }, { name: n, tenant: t2, routes: [{ provider: p, model: n }] }]",
      ].join("\n"),
    );
    const out = await runMindgw(["config", "check", "-c", path]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('models[0].routes[0].provider: provider "p" belongs to tenant "t1"');
    expect(out.stderr).toContain('models[1].tenant: unknown tenant "t2"');
  });

  test("a tenant named default (every untenanted key's) is refused with the path named", async () => {
    const path = `${dir.path}/reserved.yaml`;
    await Bun.write(path, "tenants: [{ name: team-a }, { name: default, rpm: 1 }]\n");
    const out = await runMindgw(["config", "check", "-c", path]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('tenants[1].name: "default" is reserved for keys outside every tenant');
  });
});

describe("a tenant's usage with a big audit log", () => {
  const BULK = 400_000;
  const usageOf = async (token: string) => {
    const res = await get("/admin/api/tenants", token);
    expect(res.status).toBe(200);
    return ((await res.json()) as { tenants: TenantReport[] }).tenants.find((t) => t.name === "team-m")!
      .usage;
  };

  /**
   * The usage once it counts a chat `member` sends now: an answer serves every caller for a few
   * seconds (shared-usage.ts), so the one read before may be stale; the first that differs from it
   * is a scan made since the chat's row was written.
   */
  const usageCounting = async (member: string) => {
    const cached = await usageOf(member);
    const sent = await chat(member);
    await sent.arrayBuffer();
    await auditRow(gw, sent.headers.get("x-request-id") ?? "");
    const usage = await waitFor("a usage that counts the chat", async () => {
      const read = await usageOf(member);
      return read.requests !== cached.requests && read;
    });
    return { usage, requestId: sent.headers.get("x-request-id") ?? "" };
  };

  test("its requests leave out the admin API's own calls, the member's polling of this page among them", async () => {
    const member = await key("usage-poller", "team-m");
    const { usage: before } = await usageCounting(member);
    for (let i = 0; i < 3; i++) await usageOf(member);
    const res = await chat(member);
    await res.arrayBuffer();
    // Written after the three calls' rows, in the same batch or a later one.
    await auditRow(gw, res.headers.get("x-request-id") ?? "");
    // An answer serves every caller for a few seconds (shared-usage.ts): the next scan counts it.
    const after = await waitFor("a usage that counts the chat", async () => {
      const usage = await usageOf(member);
      return usage.requests !== before.requests && usage;
    });
    expect(after.requests).toBe(before.requests + 1);
  });

  test("summing a month of 400,000 rows holds nothing up: /healthz is answered while a member's /admin/api/tenants is in flight", async () => {
    const member = await key("usage-reader", "team-m");
    const { usage: before, requestId } = await usageCounting(member);
    const row = await auditRow(gw, requestId);
    // The auditor's big log: copies of that row put straight into the file, this month.
    const db = new Database(`${gw.dir}/mindgw.db`);
    try {
      db.run("PRAGMA busy_timeout = 10000");
      db.run(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${BULK})
        INSERT INTO audit_log (request_id, started_at, principal_id, front_door, model_id, route_id,
          upstream_model_id, status, stream, latency_ms, ttfb_ms, input_tokens, output_tokens, cost_usd)
        SELECT 'bulk_' || i, l.started_at, l.principal_id, l.front_door, l.model_id, l.route_id,
          l.upstream_model_id, l.status, l.stream, l.latency_ms, l.ttfb_ms, l.input_tokens, l.output_tokens, l.cost_usd
        FROM n, audit_log l WHERE l.request_id = ?`,
        [requestId],
      );
    } finally {
      db.close();
    }

    // /healthz asked again and again while the member's call is in flight: the gateway must
    // answer one it was asked after it had started that call (its audit row's start), before it.
    // The usage read before serves for a few seconds (shared-usage.ts): calls until the one that
    // scans the new rows, which is the one measured.
    let answeredMeanwhile: number[] = [];
    const res = await waitFor(
      "a usage that sums the new rows",
      async () => {
        let pending = true;
        const call = get("/admin/api/tenants", member).finally(() => {
          pending = false;
        });
        answeredMeanwhile = [];
        while (pending) {
          const asked = Date.now();
          const health = await fetch(`${gw.url}/healthz`);
          await health.arrayBuffer();
          if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);
          if (pending) answeredMeanwhile.push(asked);
        }
        const answer = await call;
        expect(answer.status).toBe(200);
        const { tenants } = (await answer.clone().json()) as { tenants: TenantReport[] };
        return tenants[0]?.usage.requests === before.requests + BULK && answer;
      },
      30_000,
    );
    const started = (await auditRow(gw, res.headers.get("x-request-id") ?? "")).startedAt;
    expect(answeredMeanwhile.filter((asked) => asked > started).length).toBeGreaterThan(0);
    const sums = ((await res.json()) as { tenants: TenantReport[] }).tenants[0]!.usage;
    expect(sums.requests).toBe(before.requests + BULK);
    expect(sums.inputTokens).toBe(before.inputTokens + BULK * row.inputTokens);
    // Spend is the spend ledger's, which the budget is enforced against: rows copied into the
    // file were charged to nobody.
    expect(sums.costUsd).toBeCloseTo(before.costUsd, 6);
  }, 60_000);
});
