import { afterAll, beforeAll, expect, test } from "bun:test";
import { AUDIENCE, ISSUER, jwksServer, sign, type TestKey, testKey } from "../auth/jwt-test-kit.ts";
import { createJwtVerifier } from "../auth/jwt-verifier.ts";
import { homeTenant, managedTenant } from "../auth/key-scope.ts";
import { canUseModel, type Principal, principalFromKey } from "../auth/principal.ts";
import { assertModelAllowed } from "../auth/roles.ts";
import { jwtConfigSchema } from "../config/jwt-config.ts";
import { parseConfig } from "../config/load-config.ts";
import { keyRecord } from "../testing/key-record.ts";
import { bindTenant, callerBinding } from "./bind-tenant.ts";
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
  expect(a.tenantRules).toMatchObject({ bound: true, models: ["gpt-*"], rpm: 10 });
  expect(canUseModel(a, "gpt-4o")).toBe(true);
  expect(canUseModel(a, "claude")).toBe(false);
  expect(() => assertModelAllowed(a, "team-b-only")).toThrow(
    expect.objectContaining({ status: 404, code: "model_not_found" }) as unknown as Error,
  );
  expect(readScope(a)).toBe("team-a");

  const b = await asTeam("team-b");
  expect(canUseModel(b, "team-b-only")).toBe(true);

  // A tenant no config names (a verifier that let its claim through): refused, as a key of it is.
  await expect(asTeam("elsewhere")).rejects.toMatchObject({ status: 401, code: "unauthorized" });
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
  expect(bound.tenantRules).toMatchObject({ bound: false });
  expect(canUseModel(bound, "team-b-only")).toBe(false);
});

test("a scoped model's aliases and globs are its tenant's alone; a name of everyone's that a scoped glob also matches stays everyone's", async () => {
  const scoped = parseConfig(
    {
      providers: [{ name: "p", type: "mock" }],
      models: [
        { name: "gpt-4o", routes: [{ provider: "p", model: "x" }] },
        { name: "everything", aliases: ["*"], routes: [{ provider: "p", model: "x" }] },
        {
          name: "secret-a",
          aliases: ["secret-a-alias", "secret-glob-*", "gpt-*"],
          tenant: "team-a",
          routes: [{ provider: "p", model: "x" }],
        },
      ],
      tenants: [{ name: "team-a" }, { name: "team-b" }],
    },
    {},
  );
  const as = (tenant: string) =>
    bindTenant(() => Promise.resolve(principalFromKey(keyRecord({ tenant }))), scoped)(new Headers());
  const [a, b, outsider] = await Promise.all([as("team-a"), as("team-b"), as("default")]);
  // Every name that routes to team-a's entry: its name, an alias, a glob alias's match.
  const teamAs = ["secret-a", "secret-a-alias", "secret-glob-x", "gpt-4o-mini"];
  for (const model of teamAs) {
    expect(canUseModel(a, model)).toBe(true);
    for (const other of [b, outsider]) {
      expect(canUseModel(other, model)).toBe(false);
      expect(() => assertModelAllowed(other, model)).toThrow(
        expect.objectContaining({ status: 404, code: "model_not_found" }) as unknown as Error,
      );
    }
  }
  // `gpt-4o` is everyone's exact name, which wins over team-a's glob as the route table resolves
  // it; a name only everyone's catch-all matches is everyone's too.
  for (const caller of [a, b, outsider]) {
    expect(canUseModel(caller, "gpt-4o")).toBe(true);
    expect(canUseModel(caller, "llama-3")).toBe(true);
  }
  // A tenant with no other tenant's model to hide carries no check at all.
  expect(a.tenantRules?.hides).toBeUndefined();
});

test("a scoped entry cannot take a name of everyone's by repeating it as an alias: the config is refused, where that name answered 404 to every caller outside the tenant", () => {
  // Listed first, team-a's alias won the route table's exact match and made gpt-4o team-a's;
  // listed after, the alias was dead. A glob alias over the name stays allowed (the test above).
  const shadowing = (models: object[]) => () =>
    parseConfig({ providers: [{ name: "p", type: "mock" }], tenants: [{ name: "team-a" }], models }, {});
  const everyones = { name: "gpt-4o", routes: [{ provider: "p", model: "x" }] };
  const teamAs = {
    name: "team-gpt",
    tenant: "team-a",
    aliases: ["gpt-4o"],
    routes: [{ provider: "p", model: "y" }],
  };
  expect(shadowing([teamAs, everyones])).toThrow(
    'models[1].name: duplicate model name "gpt-4o", already models[0].aliases[0]; a name reaches one entry only',
  );
  expect(shadowing([everyones, teamAs])).toThrow(
    'models[1].aliases[0]: duplicate model name "gpt-4o", already models[0].name; a name reaches one entry only',
  );
});

test("a reload that removes a tenant refuses its keys (401, as a JWT naming it), never binds them as no tenant's; with no tenant left, a tenant is a free label", async () => {
  const keyOf = (tenant: string) => () => Promise.resolve(principalFromKey(keyRecord({ tenant })));
  const before = await bindTenant(keyOf("team-b"), config)(new Headers());
  expect(canUseModel(before, "claude")).toBe(true);

  // team-b gone, team-a (gpt-* only, rpm 10) left: team-b's key is neither team-a's nor everyone's.
  const removed = parseConfig(
    {
      providers: [{ name: "p", type: "mock" }],
      models: [
        { name: "gpt-4o", routes: [{ provider: "p", model: "x" }] },
        { name: "claude", routes: [{ provider: "p", model: "x" }] },
      ],
      tenants: [{ name: "team-a", models: ["gpt-*"], rpm: 10 }],
    },
    {},
  );
  const refused = bindTenant(keyOf("team-b"), removed)(new Headers());
  await expect(refused).rejects.toMatchObject({
    status: 401,
    code: "unauthorized",
    message: "invalid or missing credentials",
    detail: 'unknown_tenant: "team-b" is no configured tenant',
    // For good: the same key is refused again until the config lists its tenant.
    headers: { "x-should-retry": "false" },
  });
  // A key outside every tenant, and one of a tenant still listed, are served as before.
  expect((await bindTenant(keyOf("default"), removed)(new Headers())).tenantRules).toBeUndefined();
  expect((await bindTenant(keyOf("team-a"), removed)(new Headers())).tenantRules).toMatchObject({
    bound: true,
    rpm: 10,
  });

  // No tenant listed at all: a key's tenant is a free label, bound by nothing but its own limits,
  // as a JWT's tenant claim is then (the reload's warning says so: unlisted-tenants-warning.ts).
  const none = parseConfig(
    {
      providers: [{ name: "p", type: "mock" }],
      models: [{ name: "gpt-4o", routes: [{ provider: "p", model: "x" }] }],
    },
    {},
  );
  const labelled = await bindTenant(keyOf("team-b"), none)(new Headers());
  expect(labelled.tenantRules).toBeUndefined();
});

test("an embedder's authenticator is the authority for its own tenants: its principal of a tenant not listed is served, seeing what one outside every tenant sees; the gateway's key of one is refused", async () => {
  const principalOf = (tenant: string) => () => Promise.resolve(principalFromKey(keyRecord({ tenant })));
  const served = await bindTenant(principalOf("search"), config, "embedder")(new Headers());
  expect(served.tenant).toBe("search");
  // Bound as an outsider is: another tenant's models hidden, no tenant's limits.
  expect(served.tenantRules).toEqual({ bound: false, models: ["*"], hides: expect.any(Function) });
  expect(canUseModel(served, "team-b-only")).toBe(false);
  expect(canUseModel(served, "claude")).toBe(true);
  // A listed tenant's rules apply to an embedder's principal as to a key.
  const listed = await bindTenant(principalOf("team-a"), config, "embedder")(new Headers());
  expect(listed.tenantRules).toMatchObject({ bound: true, rpm: 10 });
  await expect(bindTenant(principalOf("search"), config)(new Headers())).rejects.toMatchObject({
    status: 401,
    detail: 'unknown_tenant: "search" is no configured tenant',
  });
});

test("an embedder's admin of a tenant not listed is held to its tenant's name for reads and key management, as one of a listed tenant is; only an admin of default is every tenant's", async () => {
  const adminOf = (tenant: string) => () =>
    Promise.resolve({ ...principalFromKey(keyRecord({ tenant })), role: "admin" as const });
  const heldTo = (principal: Principal) => [
    readScope(principal),
    managedTenant(principal),
    homeTenant(principal),
  ];
  const unlisted = await bindTenant(adminOf("platform"), config, "embedder")(new Headers());
  expect(heldTo(unlisted)).toEqual(["platform", "platform", "platform"]);
  // A name that differs by case from a listed one is another tenant, held to itself.
  expect(heldTo(await bindTenant(adminOf("Team-A"), config, "embedder")(new Headers()))).toEqual([
    "Team-A",
    "Team-A",
    "Team-A",
  ]);
  expect(heldTo(await bindTenant(adminOf("team-a"), config, "embedder")(new Headers()))).toEqual([
    "team-a",
    "team-a",
    "team-a",
  ]);
  // With no tenant listed at all, the embedder is not wrapped and its admin of a free label is
  // held to it, as the gateway's own key of one is.
  const none = parseConfig({ providers: [{ name: "p", type: "mock" }] }, {});
  const platform = adminOf("platform");
  expect(bindTenant(platform, none, "embedder")).toBe(platform);
  expect(heldTo(await bindTenant(platform, none, "embedder")(new Headers()))).toEqual([
    "platform",
    "platform",
    "platform",
  ]);
  expect(readScope(await bindTenant(platform, none)(new Headers()))).toBe("platform");
  // The gateway-wide admin says default, listed or not.
  expect(heldTo(await bindTenant(adminOf("default"), config, "embedder")(new Headers()))).toEqual([
    null,
    null,
    "default",
  ]);
  // The gateway's own key of a tenant a reload removed is refused (401 unknown_tenant).
  await expect(bindTenant(platform, config)(new Headers())).rejects.toMatchObject({ status: 401 });
});

test("a principal found another way (a web UI session's) is bound as the authenticator binds its own: rules and limits of this version, an older version's dropped, an unlisted tenant refused", async () => {
  const bind = callerBinding(config);
  const session = { ...principalFromKey(keyRecord({ tenant: "team-a" })), via: "session" as const };
  const bound = bind(session);
  expect(bound.tenantRules).toMatchObject({ bound: true, models: ["gpt-*"], rpm: 10 });
  expect([
    canUseModel(bound, "gpt-4o"),
    canUseModel(bound, "claude"),
    canUseModel(bound, "team-b-only"),
  ]).toEqual([true, false, false]);
  expect(() => bind({ ...session, tenant: "team-gone" })).toThrow("invalid or missing credentials");
  // A stored session keeps the rules it was signed in under: a version that binds nobody drops them.
  const plain = parseConfig(
    {
      providers: [{ name: "p", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "p", model: "x" }] }],
    },
    {},
  );
  expect(callerBinding(plain)(bound).tenantRules).toBeUndefined();
});
