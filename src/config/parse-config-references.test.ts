// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { describe, expect, test } from "bun:test";
import { configProblems as problems, TWO_PROVIDERS as providers } from "../testing/config-problems.ts";
import { parseConfig } from "./load-config.ts";

// A config's references resolve: a tenant, a route's and a shadow's provider name what the config declares.

describe("parseConfig: messages name the path", () => {
  test("auth.jwt.default_tenant: once tenants are listed, one of them or outside every tenant", () => {
    const jwt = {
      secret: "s".repeat(40),
      issuer: "https://idp.test",
      audience: "mindgw",
      algorithms: ["HS256"],
    };
    const tenants = [{ name: "team-a" }];
    expect(problems({ tenants, auth: { jwt: { ...jwt, default_tenant: "team-b" } } })).toEqual([
      'auth.jwt.default_tenant: unknown tenant "team-b"',
    ]);
    for (const named of ["team-a", "default"])
      expect(
        parseConfig({ tenants, auth: { jwt: { ...jwt, default_tenant: named } } }).auth.jwt?.default_tenant,
      ).toBe(named);
    // Without tenants a tenant is a free label.
    expect(
      parseConfig({ auth: { jwt: { ...jwt, default_tenant: "team-b" } } }).auth.jwt?.default_tenant,
    ).toBe("team-b");
  });

  test("a route to an unknown provider", () => {
    expect(
      problems({
        providers,
        models: [
          { name: "a", routes: [{ provider: "openai", model: "x" }] },
          { name: "b", routes: [{ provider: "opnai", model: "gpt-4o-mini" }] },
        ],
      }),
    ).toEqual(['models[1].routes[0].provider: unknown provider "opnai"']);
  });

  test("a shadow to an unknown provider; `workers` is always known", () => {
    expect(
      problems({
        providers,
        models: [
          {
            name: "a",
            routes: [{ provider: "workers", model: "llama" }],
            shadow: { provider: "nope", model: "x" },
          },
        ],
      }),
    ).toEqual(['models[0].shadow.provider: unknown provider "nope"']);
  });

  test("a model's, a tenant's and an app's shadow alike: to a provider that exists, and one of another tenant's only from inside that tenant", () => {
    const shadow = (provider: string) => ({ provider, model: "x" });
    expect(
      problems({
        providers: [
          ...providers,
          { name: "own", type: "openai", base_url: "http://10.0.0.6/v1", tenant: "t1" },
        ],
        tenants: [
          { name: "t1", shadow: shadow("own") },
          { name: "t2", shadow: shadow("own") },
        ],
        models: [{ name: "a", routes: [{ provider: "openai", model: "x" }], shadow: shadow("own") }],
        apps: [
          { name: "in-t1", frontdoor: "openai", path: "/t1", tenant: "t1", shadow: shadow("own") },
          { name: "lost", frontdoor: "openai", path: "/lost", shadow: shadow("nope") },
        ],
      }),
    ).toEqual([
      'models[0].shadow.provider: provider "own" belongs to tenant "t1"; only a model, app or tenant in tenant t1 may shadow to it',
      'tenants[1].shadow.provider: provider "own" belongs to tenant "t1"; only a model, app or tenant in tenant t1 may shadow to it',
      'apps[1].shadow.provider: unknown provider "nope"',
    ]);
  });

  test("a tenant's or an app's shadow may name the models it copies; a model's may not", () => {
    const shadow = { provider: "lab", model: "x", models: ["gpt-*"] };
    const config = parseConfig(
      {
        providers,
        tenants: [{ name: "t1", shadow }],
        apps: [{ name: "a1", frontdoor: "openai", path: "/a1", shadow }],
      },
      {},
    );
    expect(config.tenants[0]?.shadow?.models).toEqual(["gpt-*"]);
    expect(config.apps[0]?.shadow?.models).toEqual(["gpt-*"]);
    expect(
      problems({ providers, models: [{ name: "m", routes: [{ provider: "lab", model: "x" }], shadow }] }),
    ).toEqual([expect.stringContaining("models[0].shadow")]);
  });
});
