import { expect, test } from "bun:test";
import { sameFileSettings } from "../config/file-settings.ts";
import { parseConfig } from "../config/load-config.ts";
import { createLogger } from "../log/logger.ts";
import { ConfigAgreement } from "./config-agreement.ts";
import { configFingerprint } from "./config-fingerprint.ts";

const SECRET = "0123456789abcdef0123";

const nodeConfig = (name: string, port: number, models: string[], apiKey = "sk-one", secret = SECRET) =>
  parseConfig({
    server: { port },
    storage: { driver: "postgres", url: "postgres://db:5432/mindgw", path: `/var/lib/${name}/mindgw.db` },
    cluster: {
      redis_url: "redis://127.0.0.1:6379",
      advertise_url: `http://${name}:${port}`,
      secret,
      node_name: name,
    },
    providers: [{ name: "up", type: "openai", base_url: "http://127.0.0.1:9/v1", api_key: apiKey }],
    models: models.map((model) => ({ name: model, routes: [{ provider: "up", model: "up" }] })),
  });

test("the fields meant to differ per node leave the fingerprint alone", () => {
  expect(configFingerprint(nodeConfig("a", 8080, ["m"])).fingerprint).toBe(
    configFingerprint(nodeConfig("b", 9090, ["m"])).fingerprint,
  );
});

test("any shared setting changes it", () => {
  expect(configFingerprint(nodeConfig("a", 8080, ["m"])).fingerprint).not.toBe(
    configFingerprint(nodeConfig("a", 8080, ["m", "n"])).fingerprint,
  );
});

test("nodes that differ only in a provider key, or in cluster.secret, disagree", () => {
  const fingerprint = configFingerprint(nodeConfig("a", 8080, ["m"])).fingerprint;
  expect(configFingerprint(nodeConfig("a", 8080, ["m"], "sk-two")).fingerprint).not.toBe(fingerprint);
  expect(
    configFingerprint(nodeConfig("a", 8080, ["m"], "sk-one", "another-secret-0123456")).fingerprint,
  ).not.toBe(fingerprint);
});

test("/readyz's view of the agreement (unauthenticated) carries no digest of the config", () => {
  const agreement = new ConfigAgreement("a", nodeConfig("a", 8080, ["m"]), createLogger({ write() {} }));
  const other = configFingerprint(nodeConfig("b", 8080, ["m"], "sk-two")).fingerprint;
  agreement.observe([
    { id: "b", url: "http://b", at: 0, workers: [], config: { version: 4, fingerprint: other, of: "file" } },
  ]);
  const shown = agreement.openly();
  expect(shown).toEqual({ version: 1, agrees: false, disagreeing: [{ node: "b", version: 4 }] });
  expect(JSON.stringify(shown)).not.toContain(other);
  expect(JSON.stringify(shown)).not.toContain(agreement.runs().fingerprint);
});

test("a field a later release adds to the schema, filled with its default, leaves a file's fingerprint alone", () => {
  const config = nodeConfig("a", 8080, ["m"]);
  // What the next release parses the same file to: one more field, which the file does not set.
  const later = sameFileSettings({ ...config, routing: { ...config.routing, a_later_default: 3 } }, config);
  expect(configFingerprint(later)).toEqual(configFingerprint(config));
  expect(configFingerprint(config).of).toBe("file");
});

test("a node whose fingerprint digests the whole config (a release before) is not compared; one digesting its file is", () => {
  const agreement = new ConfigAgreement("a", nodeConfig("a", 8080, ["m"]), createLogger({ write() {} }));
  const previousRelease = { version: 1, fingerprint: "0123456789ab" };
  agreement.observe([{ id: "old", url: "http://old", at: 0, workers: [], config: previousRelease }]);
  expect(agreement.openly()).toEqual({ version: 1, agrees: true, disagreeing: [] });
  agreement.observe([
    { id: "old", url: "http://old", at: 0, workers: [], config: previousRelease },
    { id: "new", url: "http://new", at: 0, workers: [], config: { ...previousRelease, of: "file" } },
  ]);
  expect(agreement.openly()).toEqual({
    version: 1,
    agrees: false,
    disagreeing: [{ node: "new", version: 1 }],
  });
});
