// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { describe, expect, test } from "bun:test";
import { auditFilterSchema } from "../audit/audit-query-schema.ts";
import { keyToCreate } from "../auth/key-to-create.ts";
import { configProblems as problems, TWO_PROVIDERS as providers } from "../testing/config-problems.ts";
import { parseConfig } from "./load-config.ts";

// The names a config gives (providers, models, aliases, tenants, apps): unique, not reserved, and usable where
// they are read again (a key's tenant, the audit's ?app= filter, /metrics series).

describe("parseConfig: messages name the path", () => {
  test("duplicate provider and model names", () => {
    expect(
      problems({
        providers: [...providers, { name: "lab", type: "mock" }],
        models: [
          { name: "m", routes: [{ provider: "lab", model: "x" }] },
          { name: "m", routes: [{ provider: "lab", model: "y" }] },
        ],
      }),
    ).toEqual([
      'providers[2].name: duplicate provider "lab"',
      'models[1].name: duplicate model name "m", already models[0].name; a name reaches one entry only',
    ]);
  });

  test("a name or alias of one entry repeated by another, as name or alias, exact or glob: refused, naming both places", () => {
    // Accepted before: the model index kept the first, so the other entry was dead for that name,
    // or, with a tenant's entry first, everyone else's name answered 404 outside that tenant.
    const route = [{ provider: "lab", model: "x" }];
    const repeat = (where: string, name: string, earlier: string) =>
      `${where}: duplicate model name "${name}", already ${earlier}; a name reaches one entry only`;
    expect(
      problems({
        providers,
        tenants: [{ name: "team-a" }, { name: "team-b" }],
        models: [
          { name: "team-gpt", tenant: "team-a", aliases: ["gpt-4o"], routes: route },
          { name: "gpt-4o", routes: route },
          { name: "claude-*", routes: route },
          { name: "claude", aliases: ["claude-*", "team-gpt"], routes: route },
          // Two tenants' own entries: one name space over all tenants, as the route table is one.
          { name: "chat", tenant: "team-a", routes: route },
          { name: "chat", tenant: "team-b", routes: route },
        ],
      }),
    ).toEqual([
      repeat("models[1].name", "gpt-4o", "models[0].aliases[0]"),
      repeat("models[3].aliases[0]", "claude-*", "models[2].name"),
      repeat("models[3].aliases[1]", "team-gpt", "models[0].name"),
      repeat("models[5].name", "chat", "models[4].name"),
    ]);
  });

  test("names that only overlap are taken: a glob over another entry's name, an alias repeated within its own entry", () => {
    const route = [{ provider: "lab", model: "x" }];
    const config = parseConfig(
      {
        providers,
        tenants: [{ name: "team-a" }],
        models: [
          { name: "gpt-4o", routes: route },
          { name: "team-gpt", tenant: "team-a", aliases: ["gpt-*", "team-gpt"], routes: route },
        ],
      },
      {},
    );
    expect(config.models.map((model) => model.name)).toEqual(["gpt-4o", "team-gpt"]);
  });
  test("the reserved tenant name: default is every untenanted key's", () => {
    expect(problems({ tenants: [{ name: "team-a" }, { name: "default", rpm: 1 }] })).toEqual([
      'tenants[1].name: "default" is reserved for keys outside every tenant; choose another name',
    ]);
  });

  test("the names /metrics gives what no config names (other, none, workers) are refused where they would share its series", () => {
    // A configured `other` would be counted with every unrouted model, every removed provider or
    // unlisted tenant, and no reload could drop its series (metrics/kept-labels.ts keeps them).
    const mock = (name: string) => ({ name, type: "mock" });
    expect(problems({ providers: [mock("a"), mock("other"), mock("none")] })).toEqual([
      'providers[1].name: "other" is a label value of /metrics (a provider the config no longer names); choose another name',
      'providers[2].name: "none" is a label value of /metrics (no upstream called); choose another name',
    ]);
    const model = (name: string, aliases: string[] = []) => ({
      name,
      aliases,
      routes: [{ provider: "a", model: "x" }],
    });
    expect(
      problems({
        providers: [mock("a")],
        models: [model("other"), model("workers"), model("m", ["m-1", "other"])],
      }),
    ).toEqual([
      'models[0].name: "other" is a label value of /metrics (a model no entry names); choose another name',
      'models[1].name: "workers" is a label value of /metrics (a model only workers serve); choose another name',
      'models[2].aliases[1]: "other" is a label value of /metrics (a model no entry names); choose another name',
    ]);
    expect(problems({ tenants: [{ name: "team-a" }, { name: "other" }, { name: "none" }] })).toEqual([
      'tenants[1].name: "other" is a label value of /metrics (a tenant the config does not list); choose another name',
      'tenants[2].name: "none" is a label value of /metrics (a caller with no key); choose another name',
    ]);
  });

  test("a tenant name longer than a key's tenant may be is refused, naming the path: no key could ever be created in it", () => {
    const long = "t".repeat(101);
    expect(problems({ tenants: [{ name: "team-a" }, { name: long }] })).toEqual([
      "tenants[1].name: at most 100 characters, as a key's tenant may be (keys create --tenant)",
    ]);
    const longest = "t".repeat(100);
    const config = parseConfig({ tenants: [{ name: longest }] }, {});
    const tenants = config.tenants.map((tenant) => tenant.name);
    const key = keyToCreate("local-operator", { name: "k", tenant: longest }, { now: 0, tenants });
    expect(key.tenant).toBe(longest);
  });

  test("an app name longer than the audit's ?app= filter takes is refused, naming the path: its rows could never be filtered", () => {
    const long = "a".repeat(513);
    expect(
      problems({
        apps: [
          { name: "ok", frontdoor: "openai", path: "/ok" },
          { name: long, frontdoor: "openai", path: "/long" },
        ],
      }),
    ).toEqual(["apps[1].name: at most 512 characters, as the audit's ?app= and --app filters take"]);
    const longest = "a".repeat(512);
    const config = parseConfig({ apps: [{ name: longest, frontdoor: "openai", path: "/longest" }] }, {});
    expect(auditFilterSchema.parse({ app: config.apps[0]?.name }).app).toBe(longest);
  });
});
