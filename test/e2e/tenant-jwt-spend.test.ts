import { expect, setDefaultTimeout, test } from "bun:test";
import { SignJWT } from "jose";
import OpenAI from "openai";
import { createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(60_000);

// What a tenant's admin reads of `/admin/api/spend`: its own tenant's callers, the JWT subjects
// among them (`jwt:<tenant>:<name>`, who are no keys), and nothing of another tenant's.

const SECRET = "a-test-secret-of-at-least-32-characters!";
const ISSUER = "https://idp.test";
const AUDIENCE = "mindgw";

const fx = gatewayFixture({
  models: ["m1"],
  config: {
    tenants: [{ name: "team-a" }, { name: "team-b" }],
    // A dime a token in and out: one answer spends a round, non-zero sum.
    prices: { m1: { input_per_mtok: 100_000, output_per_mtok: 100_000 } },
    auth: {
      jwt: {
        secret: SECRET,
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
        claims: { name: "sub", tenant: "tenant" },
        limits: { budget_usd: 1000 },
      },
    },
  },
});

const token = (tenant: string, sub: string) =>
  new SignJWT({ tenant })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(SECRET));

/** `/admin/api/spend` for `ids`, as `credential` reads it. */
async function spent(credential: string, ids: readonly string[]): Promise<Record<string, number>> {
  const query = ids.map((id) => `ids=${encodeURIComponent(id)}`).join("&");
  const res = await fetch(fx.url(`/admin/api/spend?${query}`), { headers: bearer(credential) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { spentUsd: Record<string, number> }).spentUsd;
}

test("a tenant's admin reads its own tenant's JWT callers' spend, not another tenant's", async () => {
  const aAdmin = (await createKey(fx.gw, { name: "a-admin", role: "admin", tenant: "team-a" })).key;
  // A JWT caller of each tenant, each spending through the official SDK.
  for (const tenant of ["team-a", "team-b"]) {
    const openai = new OpenAI({
      apiKey: await token(tenant, "alice"),
      baseURL: fx.url("/v1"),
      maxRetries: 0,
    });
    await openai.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hello" }] });
  }
  const ids = ["jwt:team-a:alice", "jwt:team-b:alice"];
  // Both spends stored, as the gateway-wide admin reads them (the ledger is written off the request).
  const all = await waitFor("both callers' spend stored", async () => {
    const seen = await spent(fx.adminKey, ids);
    return ids.every((id) => (seen[id] ?? 0) > 0) ? seen : undefined;
  });
  expect(await spent(aAdmin, ids)).toEqual({ "jwt:team-a:alice": all["jwt:team-a:alice"] ?? -1 });
});
