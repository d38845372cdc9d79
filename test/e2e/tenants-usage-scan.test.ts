import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { TenantReport } from "../../src/tenants/tenant-usage.ts";
import { auditRow } from "./harness/admin-api.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tenantsGateway } from "./harness/tenants-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";
import { type OkAnswer, waitForOk } from "./harness/wait-for-ok.ts";

setDefaultTimeout(30_000);

// Tenants through the compiled binary: a tenant's usage read over a big audit log, leaving out the
// admin API's own calls and holding nothing up meanwhile.

const { fx, chat, key, get } = tenantsGateway();
let gw: GatewayProcess;
beforeAll(() => {
  gw = fx.gw;
});

describe("a tenant's usage with a big audit log", () => {
  const BULK = 400_000;
  type Usage = TenantReport["usage"];
  /** Team-m's usage as `token` reads it: the status, and the usage when a 200. */
  const usageAnswer = async (token: string): Promise<OkAnswer<Usage>> => {
    const res = await get("/admin/api/tenants", token);
    if (res.status !== 200) {
      await res.arrayBuffer();
      return { status: res.status };
    }
    const { tenants } = (await res.json()) as { tenants: TenantReport[] };
    return { status: 200, body: tenants.find((t) => t.name === "team-m")!.usage };
  };
  const usageOf = async (token: string) => {
    const { status, body } = await usageAnswer(token);
    expect(status).toBe(200);
    return body as Usage;
  };
  /** Polls `token`'s read until its requests are no longer `requests` (its 200 asserted once, after). */
  const usageOtherThan = (what: string, token: string, requests: number) =>
    waitForOk(
      what,
      () => usageAnswer(token),
      (usage) => usage.requests !== requests,
    );

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
    const usage = await usageOtherThan("a usage that counts the chat", member, cached.requests);
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
    const after = await usageOtherThan("a usage that counts the chat", member, before.requests);
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
        // A refusal ends the wait, to be asserted once after it.
        if (answer.status !== 200) return answer;
        const { tenants } = (await answer.clone().json()) as { tenants: TenantReport[] };
        return tenants[0]?.usage.requests === before.requests + BULK && answer;
      },
      30_000,
    );
    expect(res.status).toBe(200);
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
