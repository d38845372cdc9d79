// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} references, not templates
import { expect, test } from "bun:test";
import { join } from "node:path";
import type { ConfigError } from "./config-error.ts";
import { loadConfigFile, parseConfigText } from "./load-config.ts";
import { parseConfigYaml } from "./parse-config-yaml.ts";

const SPEC_SAMPLE = join(import.meta.dir, "fixtures/spec-sample.yaml");
const SPEC_ENV = {
  OPENAI_API_KEY: "sk-openai",
  ANTHROPIC_API_KEY: "sk-ant",
  REDIS_URL: "redis://127.0.0.1:6379",
  DATABASE_URL: "postgres://mindgw:pw@127.0.0.1:5432/mindgw",
  MINDGW_CLUSTER_SECRET: "a-cluster-secret-of-32-characters!",
  OIDC_SECRET: "oidc-secret",
};

test("the SPEC's own sample, ${VAR} in flow mappings, parses and is interpolated", async () => {
  const config = await loadConfigFile(SPEC_SAMPLE, SPEC_ENV);
  expect(config.providers.map((p) => p.name)).toEqual(["openai", "anthropic", "lab-vllm", "demo"]);
  expect(config.providers[0]).toMatchObject({ base_url: "https://api.openai.com/v1", api_key: "sk-openai" });
  expect(config.cluster?.redis_url).toBe("redis://127.0.0.1:6379");
  expect(config.admin_ui.oidc?.client_secret).toBe("oidc-secret");
});

test("references come back exactly as written, in keys, values, quotes and block scalars", () => {
  const text = [
    "a: { k: ${A}, d: ${B:-x, y}, two: ${A}${A} }",
    "'${KEY}': \"Bearer ${A}\"",
    "s: '${A:-}'",
    "block: |",
    "  line ${A}",
    "list: [${A}, plain]",
  ].join("\n");
  expect(parseConfigYaml(text)).toEqual({
    a: { k: "${A}", d: "${B:-x, y}", two: "${A}${A}" },
    "${KEY}": "Bearer ${A}",
    s: "${A:-}",
    block: "line ${A}\n",
    list: ["${A}", "plain"],
  });
  // Text that already holds the placeholders' stem does not confuse them.
  expect(parseConfigYaml("¤0_z: { v: ${A} }")).toEqual({ "¤0_z": { v: "${A}" } });
});

test("a value can still never inject YAML structure", () => {
  const text = "providers:\n  - { name: p, type: openai, base_url: 'http://h/v1', api_key: ${KEY} }\n";
  const config = parseConfigText("c.yaml", text, { KEY: "x }, { name: injected, type: mock" });
  expect(config.providers).toHaveLength(1);
  expect(config.providers[0]?.api_key).toBe("x }, { name: injected, type: mock");
});

test("YAML errors point at the file's own columns, as if the references were plain words", () => {
  const reason = (text: string) => {
    try {
      parseConfigText("c.yaml", text, {});
    } catch (error) {
      return (error as ConfigError).problems[0];
    }
  };
  for (const reference of ["${A}", "${OPENAI_API_KEY}", "${A:-a, default}"]) {
    const found = reason(`a: { k: ${reference} } x\n`);
    expect(found).toBe(reason(`a: { k: ${"x".repeat(reference.length)} } x\n`));
    expect(found).toMatch(/^c\.yaml:1:\d+: not valid YAML: /);
  }
});

test("a nested default in a flow mapping is read whole, then refused as nested: not cut at its first '}', which closed the mapping", () => {
  const text = "providers:\n  - { name: p, type: openai, base_url: 'http://h/v1', api_key: ${A:-${B:-c}} }\n";
  expect(() => parseConfigText("c.yaml", text, {})).toThrow(
    'providers[0].api_key: the "${" at character 1 holds another reference in its default: nested references are not supported; write the default plainly',
  );
});

test("an unclosed default holding a reference, quoted in a flow mapping, stays inside its quotes", () => {
  // The pattern ran on past the quote to the mapping's "}", hiding both from the parser.
  const text = "providers:\n  - { name: p, type: openai, base_url: 'http://h/v1', api_key: '${A:-${B}' }\n";
  expect(() => parseConfigText("c.yaml", text, {})).toThrow(
    'providers[0].api_key: the "${" at character 1 holds another reference in its default',
  );
});

test("compose's forms and the $${ escape need no quotes in a flow mapping either", () => {
  const text =
    "providers:\n  - { name: p, type: openai, base_url: ${BASE-http://h/v1}, api_key: ${KEY:?set KEY} }\n  - { name: q, type: openai, base_url: 'http://h/v1', api_key: $${KEY} }\n";
  expect(parseConfigText("c.yaml", text, { KEY: "sk" }).providers).toMatchObject([
    { base_url: "http://h/v1", api_key: "sk" },
    { api_key: "${KEY}" },
  ]);
});

test("$${ in a quoted value leaves the quote and what follows to the parser: a flow mapping's next key, a comment holding }", () => {
  // DEPLOYMENT.md's own example failed with 'Missing closing "quote': the shield hid the escape
  // with everything up to the next "}", the closing quote and the mapping's "}" with it.
  const flow = 'storage: { driver: postgres, url: "postgres://u:ab$${x@h/db", pool: 4 }\n';
  expect(parseConfigText("c.yaml", flow, {}).storage).toMatchObject({
    url: "postgres://u:ab${x@h/db",
    pool: 4,
  });
  expect(parseConfigYaml("a: { url: 'ab$${x', b: c }\n")).toEqual({ a: { url: "ab$${x", b: "c" } });
  expect(parseConfigYaml('a: "ab$${x@h/db" # the password holds "${" {see the vault}\n')).toEqual({
    a: "ab$${x@h/db",
  });
});

test("YAML merge keys: <<: *anchor takes the anchored entry's settings, its own keys winning", () => {
  // `<<` was kept as a key, and refused as "unknown field".
  const text = [
    "providers:",
    "  - &openai { name: openai, type: openai, base_url: 'https://api.openai.com/v1', api_key: ${KEY}, timeouts: { connect: 5s } }",
    "  - { <<: *openai, name: openai-batch }",
    "  - <<: *openai",
    "    name: openai-slow",
    "    timeouts: { connect: 30s }",
    "models:",
    "  - { name: m, routes: [{ provider: openai-batch, model: x }] }",
  ].join("\n");
  const config = parseConfigText("c.yaml", text, { KEY: "sk-merged" });
  expect(config.providers.map(({ name, api_key, timeouts }) => ({ name, api_key, timeouts }))).toEqual([
    { name: "openai", api_key: "sk-merged", timeouts: { connect: 5000 } },
    { name: "openai-batch", api_key: "sk-merged", timeouts: { connect: 5000 } },
    { name: "openai-slow", api_key: "sk-merged", timeouts: { connect: 30_000 } },
  ]);
});

test("a misspelt anchor in a merge key, or a merge of what is no mapping, is refused naming the alias and its place", () => {
  // Both said "not valid YAML: Merge sources must be maps or map aliases", naming neither.
  const anchored = "providers:\n  - &openai { name: openai, type: openai, api_key: k }\n";
  const refusal = (text: string) => () => parseConfigText("c.yaml", text, {});
  expect(refusal(`${anchored}  - { <<: *opneai, name: b }\n`)).toThrow(
    "c.yaml:3:11: not valid YAML: *opneai: no anchor &opneai is set before it",
  );
  expect(refusal(`x: &s text\n${anchored}  - { <<: *s, name: b }\n`)).toThrow(
    "c.yaml:4:7: not valid YAML: <<: merges only a mapping (or a list of them); *s is not a mapping",
  );
  expect(refusal(`${anchored}  - name: b\n    <<: [*openai, 5]\n`)).toThrow(
    "c.yaml:4:5: not valid YAML: <<: merges only a mapping (or a list of them); its value is not a mapping",
  );
});

test("top-level x- keys hold anchors and are no settings, as compose's extension fields", () => {
  // A top-level `x-defaults:` was refused as an unknown field, leaving no place for an anchor
  // outside the settings.
  const text = [
    "x-openai: &openai { type: openai, base_url: 'https://api.openai.com/v1', api_key: ${KEY} }",
    "x-unused: { api_key: ${NOT_SET} }",
    "providers:",
    "  - { <<: *openai, name: openai }",
  ].join("\n");
  const config = parseConfigText("c.yaml", text, { KEY: "sk" });
  expect(config.providers).toMatchObject([{ name: "openai", type: "openai", api_key: "sk" }]);
  expect(Object.keys(config).some((key) => key.startsWith("x-"))).toBe(false);
  // Anywhere else an x- key is as unknown as any other.
  expect(() => parseConfigText("c.yaml", "server: { x-port: 1 }\n", {})).toThrow(
    "server.x-port: unknown field",
  );
});
