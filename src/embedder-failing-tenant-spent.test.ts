import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseConfig } from "./config/load-config.ts";
import type { Gateway, Policy } from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { recordingGateway } from "./testing/recording-gateway.ts";
import { recordingLogger } from "./testing/recording-logger.ts";

// An embedder's policy whose `tenantSpent` fails (its ledger down) or answers no number (an async
// one's promise): the scrape leaves `mindgw_tenant_spend_usd` out, logs why, and exports the rest,
// where it answered 500 and lost every family for that scrape.

let failing: "throws" | "promise" | "none" = "throws";
const policy: Policy = {
  admit: () => ({}),
  record: () => 0,
  tenantSpent: (tenant) => {
    if (tenant === "acme" || failing === "none") return 1.5;
    if (failing === "promise") return Promise.resolve(2) as unknown as number;
    throw new Error("ledger unreachable");
  },
};

const { logger, lines } = recordingLogger();
let gateway: Gateway;
let base: string;
beforeAll(async () => {
  const config = parseConfig({
    storage: { path: ":memory:" },
    server: { drain_timeout: "2s" },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    tenants: [{ name: "acme" }, { name: "globex" }],
  });
  // An admin, to read /metrics.
  ({ gateway } = await recordingGateway(config, logger, {
    policy,
    auth: async () => ({ ...jwtCaller, role: "admin" }),
  }));
  const { port } = gateway.listen("127.0.0.1", 0);
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => gateway.stop());

const scrape = () => fetch(`${base}/metrics`, { headers: { authorization: "Bearer t" } });

const spendFailures = (from: number) =>
  lines.slice(from).filter((line) => line.message.includes("tenantSpent"));

test("a tenantSpent that throws: /metrics answers 200 without the spend gauge's samples, the rest exported, the failure logged once", async () => {
  failing = "throws";
  const before = lines.length;
  const response = await scrape();
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text).not.toMatch(/^mindgw_tenant_spend_usd\{/m);
  expect(text).toMatch(/^mindgw_requests_in_flight \d+$/m);
  expect(text).toContain("mindgw_audit_records_total");
  const told = spendFailures(before);
  expect(told).toHaveLength(1);
  expect(told[0]?.level).toBe("warn");
  expect(told[0]?.message).toContain("ledger unreachable");
  // A second scrape in the same 30 s is not a second line.
  expect((await scrape()).status).toBe(200);
  expect(spendFailures(before)).toHaveLength(1);
});

test("a tenantSpent that answers a promise (an async policy): the gauge is left out as for a throw, within the same line's bound", async () => {
  failing = "promise";
  const before = lines.length;
  const response = await scrape();
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text).not.toMatch(/^mindgw_tenant_spend_usd\{/m);
  expect(text).toMatch(/^mindgw_requests_in_flight \d+$/m);
  // Counted into the next line, 30 s after the last: not a line a scrape.
  expect(spendFailures(before)).toHaveLength(0);
});

test("once tenantSpent answers again, the gauge is exported for every tenant", async () => {
  failing = "none";
  const text = await (await scrape()).text();
  expect(text).toMatch(/^mindgw_tenant_spend_usd\{tenant="globex",per="month"\} 1.5$/m);
  expect(text).toMatch(/^mindgw_tenant_spend_usd\{tenant="acme",per="day"\} 1.5$/m);
});
