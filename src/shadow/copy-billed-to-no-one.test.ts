import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { shadowedGateway } from "../testing/shadowed-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";
import type { ShadowPage } from "./shadow-api-schema.ts";

// What a copy costs is the gateway's, never its caller's: a pair prices it at the shadow model's
// price, and no key's or tenant's spend (what their budgets are held to) counts it.

const gw = shadowedGateway(({ baseUrl, dbPath }) =>
  parseConfig({
    storage: { path: dbPath },
    providers: [
      { name: "fake", type: "openai", base_url: baseUrl },
      { name: "twin", type: "openai", base_url: baseUrl },
    ],
    models: [
      {
        name: "m",
        routes: [{ provider: "fake", model: "served" }],
        shadow: { provider: "twin", model: "candidate", sample: 1 },
      },
    ],
    // $1 a token, each side: the copy's cost, counted with the caller's, would double it.
    prices: {
      m: { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 },
      candidate: { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 },
    },
    tenants: [{ name: "team", budget: { usd: 1_000 } }],
  }),
);

const admin = (path: string, init: RequestInit = {}) =>
  gw.gateway.handle(
    new Request(`http://gw${path}`, {
      ...init,
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
    }),
  );

test("a copy priced at the shadow's price is charged to neither the caller's key nor its tenant", async () => {
  const created = await admin("/admin/api/keys", {
    method: "POST",
    body: JSON.stringify({ name: "c", tenant: "team" }),
  });
  const key = (await created.json()) as { id: string; key: string };
  const res = await gw.gateway.handle(
    new Request("http://gw/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "what does it cost" }] }),
    }),
  );
  expect(res.status).toBe(200);
  const requestId = res.headers.get("x-request-id");
  const pair = await waitForValue("the pair", async () => {
    const page = (await (await admin("/admin/api/shadow")).json()) as ShadowPage;
    return page.records.find((record) => record.requestId === requestId);
  });
  expect(pair.shadow.costUsd).toBeGreaterThan(0);
  expect(pair.primary.costUsd).toBeGreaterThan(0);
  // The key's spend and its tenant's are the primary's alone, tokens too, once it is counted.
  const spent = await waitForValue("the key's spend", async () => {
    const body = (await (await admin(`/admin/api/spend?ids=${key.id}`)).json()) as {
      spentUsd: Record<string, number>;
    };
    const usd = body.spentUsd[key.id] ?? 0;
    return usd > 0 ? usd : undefined;
  });
  expect(spent).toBeCloseTo(pair.primary.costUsd, 9);
  const { tenants } = (await (await admin("/admin/api/tenants")).json()) as {
    tenants: { name: string; usage: { inputTokens: number; costUsd: number }; remainingUsd: number }[];
  };
  const team = tenants.find((tenant) => tenant.name === "team");
  expect(team?.usage.costUsd).toBeCloseTo(pair.primary.costUsd, 9);
  expect(team?.usage.inputTokens).toBe(pair.primary.inputTokens);
  expect(team?.remainingUsd).toBeCloseTo(1_000 - pair.primary.costUsd, 9);
});
