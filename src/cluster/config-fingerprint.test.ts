import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { configFingerprint } from "./config-fingerprint.ts";

const nodeConfig = (name: string, port: number, models: string[]) =>
  parseConfig({
    server: { port },
    storage: { path: `/var/lib/${name}/mindgw.db` },
    cluster: {
      redis_url: "redis://127.0.0.1:6379",
      advertise_url: `http://${name}:${port}`,
      secret: "0123456789abcdef0123",
      node_name: name,
    },
    providers: [{ name: "mock", type: "mock" }],
    models: models.map((model) => ({ name: model, routes: [{ provider: "mock", model: "mock" }] })),
  });

test("the fields meant to differ per node leave the fingerprint alone", () => {
  expect(configFingerprint(nodeConfig("a", 8080, ["m"]))).toBe(
    configFingerprint(nodeConfig("b", 9090, ["m"])),
  );
});

test("any shared setting changes it", () => {
  expect(configFingerprint(nodeConfig("a", 8080, ["m"]))).not.toBe(
    configFingerprint(nodeConfig("a", 8080, ["m", "n"])),
  );
});
