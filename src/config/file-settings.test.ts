import { expect, test } from "bun:test";
import { fileSettingsOf } from "./file-settings.ts";
import { parseConfig, parseConfigText } from "./load-config.ts";

test("a config read from a file holds what the file set, resolved as the config holds it, without the defaults", () => {
  const text = `server: { port: 8080, drain_timeout: 20s }
storage: { path: ./data/gw.db }
providers: [{ name: up, type: openai, base_url: "\${UP}", api_key: x }]
models: [{ name: m, routes: [{ provider: up, model: up }] }]
`;
  const config = parseConfigText("/etc/mindgw/mindgw.yaml", text, { UP: "http://127.0.0.1:9/v1" });
  expect(fileSettingsOf(config)).toEqual({
    server: { port: 8080, drain_timeout: 20_000 },
    storage: { path: "/etc/mindgw/data/gw.db" },
    providers: [{ name: "up", type: "openai", base_url: "http://127.0.0.1:9/v1", api_key: "x" }],
    models: [{ name: "m", routes: [{ provider: "up", model: "up" }] }],
  });
});

test("a config object not parsed here (an embedder's copy) has none", () => {
  const config = parseConfig({});
  expect(fileSettingsOf({ ...config })).toBeUndefined();
  expect(fileSettingsOf(config)).toEqual({});
});
