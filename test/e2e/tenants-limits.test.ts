import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import type { AuditRecord } from "../../src/audit/audit-record.ts";
import type { TenantReport } from "../../src/tenants/tenant-usage.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { TEAM_B_ACCOUNT, tenantsGateway } from "./harness/tenants-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// Tenants through the compiled binary: a tenant's models, rpm and budget bind all its keys
// together; a model and a provider scoped to one tenant do not exist for the others; what each
// tenant used and spent, as /admin/api/tenants, /metrics and the CLI report it.

const { fx, chat, key, get } = tenantsGateway();
let gw: GatewayProcess;
beforeAll(() => {
  gw = fx.gw;
});

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
      const failure = await openaiFailure(
        other.chat.completions.create({ model: "secret-b", messages: [{ role: "user", content: "hi" }] }),
      );
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

describe("a tenant's usage and spend, as reported", () => {
  let bKey = "";
  let bRequest = "";
  beforeAll(async () => {
    bKey = await key("reader-b", "team-b");
    const b = await chat(bKey);
    bRequest = b.headers.get("x-request-id") ?? "";
    await b.arrayBuffer();
    await auditRow(gw, bRequest);
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
