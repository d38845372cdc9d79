import { createKey } from "./admin-api.ts";
import { bearer, chatBody } from "./fake-config.ts";
import { type GatewayFixtureHandle, gatewayFixture } from "./gateway-fixture.ts";

/** team-b's own upstream credential: only team-b's calls may reach the fake with it. */
export const TEAM_B_ACCOUNT = "sk-team-b-own";

/** The tenants' gateway of a test file, and the calls its tests make of it. */
export interface TenantsGateway {
  readonly fx: GatewayFixtureHandle;
  /** A chat of `model` (default m1) by `key`. */
  chat(key: string, model?: string): Promise<Response>;
  /** A new key's secret: in `tenant`, or outside every tenant. */
  key(name: string, tenant?: string, extra?: { rpm?: number }): Promise<string>;
  get(path: string, token: string): Promise<Response>;
}

/**
 * One compiled gateway for a whole test file (`gatewayFixture`) with six tenants over the fake: a
 * tenant's models, rpm, tpm and day budget; a model, its aliases and a provider with its own
 * upstream account scoped to team-b; team-c with nothing of its own, and m1 priced so one chat
 * costs more than team-budget's day.
 */
export function tenantsGateway(): TenantsGateway {
  const fx = gatewayFixture({
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
  return {
    fx,
    chat: (key, model = "m1") =>
      fetch(fx.url("/v1/chat/completions"), { method: "POST", headers: bearer(key), body: chatBody(model) }),
    key: async (name, tenant, extra = {}) =>
      (await createKey(fx.gw, { name, ...(tenant ? { tenant } : {}), ...extra })).key,
    get: (path, token) => fetch(fx.url(path), { headers: bearer(token) }),
  };
}
