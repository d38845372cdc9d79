import { afterAll, beforeAll, expect, test } from "bun:test";
import { AUDIENCE, ISSUER, jwksServer, sign, type TestKey, testKey } from "../auth/jwt-test-kit.ts";
import { createJwtVerifier } from "../auth/jwt-verifier.ts";
import { canUseModel, principalFromKey } from "../auth/principal.ts";
import { assertModelAllowed } from "../auth/roles.ts";
import { jwtConfigSchema } from "../config/jwt-config.ts";
import { parseConfig } from "../config/load-config.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { keyRecord } from "../testing/key-record.ts";
import { bindTenant } from "./bind-tenant.ts";
import { readScope } from "./read-scope.ts";

// A JWT's claim names the tenant; the tenant's rules then bind that caller like any key of it.
let signer: TestKey;
let jwks: ReturnType<typeof jwksServer>;
beforeAll(async () => {
  signer = await testKey("k1");
  jwks = jwksServer([signer.jwk]);
});
afterAll(() => jwks.stop());

const config = parseConfig(
  {
    providers: [{ name: "p", type: "mock" }],
    models: [
      { name: "gpt-4o", routes: [{ provider: "p", model: "x" }] },
      { name: "claude", routes: [{ provider: "p", model: "x" }] },
      { name: "team-b-only", tenant: "team-b", routes: [{ provider: "p", model: "x" }] },
    ],
    tenants: [{ name: "team-a", models: ["gpt-*"], rpm: 10 }, { name: "team-b" }],
  },
  {},
);

test("the tenant claim of a verified JWT selects the tenant whose rules bind the caller", async () => {
  const verifier = createJwtVerifier(
    jwtConfigSchema.parse({
      jwks_url: jwks.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["RS256"],
      claims: { name: "sub", tenant: "org" },
    }),
  );
  const authenticate = bindTenant(
    async (headers) => verifier.verify(headers.get("authorization") ?? ""),
    config,
  );
  const asTeam = async (org: string) =>
    authenticate(new Headers({ authorization: await sign(signer.privateKey, { kid: "k1" }, { org }) }));

  const a = await asTeam("team-a");
  expect(a.tenant).toBe("team-a");
  expect(a.tenantRules).toMatchObject({ bound: true, models: ["gpt-*"], rpm: 10, hidden: ["team-b-only"] });
  expect(canUseModel(a, "gpt-4o")).toBe(true);
  expect(canUseModel(a, "claude")).toBe(false);
  expect(() => assertModelAllowed(a, "team-b-only")).toThrow(
    expect.objectContaining({ status: 404, code: "model_not_found" }) as unknown as Error,
  );
  expect(readScope(a)).toBe("team-a");

  const b = await asTeam("team-b");
  expect(canUseModel(b, "team-b-only")).toBe(true);

  // A tenant no config names: unbound, sees no tenant-scoped model, reads nothing.
  const stranger = await asTeam("elsewhere");
  expect(stranger.tenantRules?.bound).toBe(false);
  expect(canUseModel(stranger, "team-b-only")).toBe(false);
  expect(() => readScope(stranger)).toThrow(GatewayError);
});

test("a config with no tenant and no tenant-scoped model binds nobody: the authenticator is used as it is", async () => {
  const plain = parseConfig(
    {
      providers: [{ name: "p", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "p", model: "x" }] }],
    },
    {},
  );
  const inner = (_headers: Headers) => Promise.resolve(principalFromKey(keyRecord()));
  expect(bindTenant(inner, plain)).toBe(inner);
  // With tenants configured, the same caller gets its tenant's rules.
  const bound = await bindTenant(inner, config)(new Headers());
  expect(bound.tenantRules).toMatchObject({ bound: false, hidden: ["team-b-only"] });
});
