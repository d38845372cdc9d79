import { expect, test } from "bun:test";
import { NotLoadedError } from "../core/on-demand.ts";
import { ConfigError } from "./config-error.ts";
import { configDocument } from "./load-config.ts";
import { documentOf } from "./truncation-signs.ts";
import { loadYaml, parseYaml } from "./yaml-text.ts";

// Run without the test preload (src/testing/fresh-process.test.ts): YAML is not loaded until a
// test here loads it, and the tests run in order.

test("YAML parsed before the library is loaded is the gateway's mistake, never the file's: not 'not valid YAML', not swallowed", () => {
  expect(() => parseYaml("a: 1")).toThrow(NotLoadedError);
  expect(() => configDocument("gw.yaml", "models: []")).toThrow(NotLoadedError);
  expect(() => documentOf("models: []")).toThrow(NotLoadedError);
});

test("loaded, the same texts parse, and a file that is not YAML is still the file's error", async () => {
  await loadYaml();
  expect(configDocument("gw.yaml", "models: []")).toEqual({ models: [] });
  expect(documentOf("models: []")).toEqual({ models: [] });
  expect(documentOf("models: [")).toBeUndefined();
  expect(() => configDocument("gw.yaml", "models: [")).toThrow(ConfigError);
  expect(() => configDocument("gw.yaml", "models: [")).toThrow(/gw\.yaml:1:\d+: not valid YAML/);
});
