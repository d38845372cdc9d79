import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { RELEASE } from "../core/build-commit.ts";
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
  expect(configFingerprint(nodeConfig("a", 8080, ["m"]))).toBe(
    configFingerprint(nodeConfig("b", 9090, ["m"])),
  );
});

test("a node's own metrics listener host leaves it alone, as its main listener does: a pod's own POD_IP:9464", () => {
  // Counted before: nodes listening for metrics each on their own address disagreed forever.
  const withMetrics = (name: string, listen?: string) => {
    const config = nodeConfig(name, 8080, ["m"]);
    return { ...config, metrics: { ...config.metrics, ...(listen === undefined ? {} : { listen }) } };
  };
  const a = configFingerprint(withMetrics("a", "10.0.0.7:9464"));
  expect(configFingerprint(withMetrics("b", "10.0.0.8:9464"))).toBe(a);
  expect(configFingerprint(withMetrics("b", "[fd00::8]:9464"))).toBe(a);
  // Whether a node serves /metrics unauthenticated on a listener of its own, and on which port,
  // is shared: a node with one and a node without do not agree.
  expect(configFingerprint(withMetrics("c"))).not.toBe(a);
  expect(configFingerprint(withMetrics("c", "10.0.0.7:9465"))).not.toBe(a);
  // Whether metrics are served at all is shared.
  const off = nodeConfig("d", 8080, ["m"]);
  expect(configFingerprint({ ...off, metrics: { ...off.metrics, enabled: false } })).not.toBe(a);
});

test("a route's weight written as its default and the same route without one agree; another weight does not", () => {
  // Since a route's weight has no schema default (so a weight written can be told from none), a
  // node with `weight: 1` and one without reported "config differs" for the same routing.
  const weighted = (weight?: number) => {
    const config = nodeConfig("a", 8080, ["m"]);
    const routes = [{ provider: "up", model: "up", ...(weight === undefined ? {} : { weight }) }];
    return { ...config, models: config.models.map((model) => ({ ...model, routes })) };
  };
  expect(configFingerprint(weighted(1))).toBe(configFingerprint(weighted()));
  expect(configFingerprint(weighted(2))).not.toBe(configFingerprint(weighted()));
});

test("any shared setting changes it", () => {
  expect(configFingerprint(nodeConfig("a", 8080, ["m"]))).not.toBe(
    configFingerprint(nodeConfig("a", 8080, ["m", "n"])),
  );
});

test("nodes that differ only in a provider key, or in cluster.secret, disagree", () => {
  const fingerprint = configFingerprint(nodeConfig("a", 8080, ["m"]));
  expect(configFingerprint(nodeConfig("a", 8080, ["m"], "sk-two"))).not.toBe(fingerprint);
  expect(configFingerprint(nodeConfig("a", 8080, ["m"], "sk-one", "another-secret-0123456"))).not.toBe(
    fingerprint,
  );
});

/** A directory entry of another node: `release` null (absent) for the release before entries said it. */
const entry = (id: string, fingerprint: string, release: string | null = RELEASE) => ({
  id,
  url: `http://${id}`,
  at: 0,
  workers: [],
  config: { version: 4, fingerprint },
  ...(release === null ? {} : { release }),
});

const quietLog = () => createLogger({ write() {} });

test("/readyz's view of the agreement (unauthenticated) carries no digest of the config", () => {
  const agreement = new ConfigAgreement("a", nodeConfig("a", 8080, ["m"]), quietLog());
  const other = configFingerprint(nodeConfig("b", 8080, ["m"], "sk-two"));
  agreement.observe([entry("b", other)]);
  const shown = agreement.openly();
  expect(shown).toEqual({
    version: 1,
    agrees: false,
    disagreeing: [{ node: "b", version: 4 }],
    other_release_nodes: 0,
  });
  expect(JSON.stringify(shown)).not.toContain(other);
  expect(JSON.stringify(shown)).not.toContain(agreement.runs().fingerprint);
});

test("equal configs agree, a default written out or left to the schema; the same object copied too", () => {
  const omitted = nodeConfig("a", 8080, ["m"]);
  const written = parseConfig({
    server: { port: 8080, drain_timeout: `${omitted.server.drain_timeout}ms` },
    storage: { driver: "postgres", url: "postgres://db:5432/mindgw", path: "/var/lib/a/mindgw.db" },
    cluster: {
      redis_url: "redis://127.0.0.1:6379",
      advertise_url: "http://a:8080",
      secret: SECRET,
      node_name: "a",
      heartbeat: `${omitted.cluster?.heartbeat}ms`,
    },
    providers: [{ name: "up", type: "openai", base_url: "http://127.0.0.1:9/v1", api_key: "sk-one" }],
    models: [{ name: "m", routes: [{ provider: "up", model: "up" }] }],
  });
  expect(configFingerprint(written)).toBe(configFingerprint(omitted));
  expect(configFingerprint({ ...omitted })).toBe(configFingerprint(omitted));
});

test("a default a release changes changes the fingerprint: the config runs otherwise", () => {
  const config = nodeConfig("a", 8080, ["m"]);
  const changedDefault = {
    ...config,
    server: { ...config.server, drain_timeout: config.server.drain_timeout + 1 },
  };
  expect(configFingerprint(changedDefault)).not.toBe(configFingerprint(config));
});

test("nodes of another release are not compared but listed as such for the status, the previous release's (no release said) among them; /readyz (unauthenticated) only counts them, naming no release", () => {
  const agreement = new ConfigAgreement("a", nodeConfig("a", 8080, ["m"]), quietLog());
  const own = agreement.runs().fingerprint;
  agreement.observe([
    entry("same", own),
    entry("differs", "0123456789ab"),
    entry("next", "ba9876543210", "0.2.0+abcdef0"),
    entry("previous", "fedcba987654", null),
  ]);
  expect(agreement.others()).toEqual([
    { node: "next", release: "0.2.0+abcdef0" },
    { node: "previous", release: null },
  ]);
  // Open to anyone: how many, not which release each runs.
  expect(agreement.openly()).toEqual({
    version: 1,
    agrees: false,
    disagreeing: [{ node: "differs", version: 4 }],
    other_release_nodes: 2,
  });
});

test("nodes of other releases are logged once per change of who they are", () => {
  const lines: string[] = [];
  const agreement = new ConfigAgreement(
    "a",
    nodeConfig("a", 8080, ["m"]),
    createLogger({ write: (line: string) => void lines.push(line) }),
  );
  const own = agreement.runs().fingerprint;
  for (let beat = 0; beat < 2; beat++)
    agreement.observe([entry("same", own), entry("previous", "fedcba987654", null)]);
  const said = lines.filter((line) => line.includes("is not compared"));
  expect(said).toHaveLength(1);
  expect(said[0]).toContain(
    `node previous runs release unknown (older): its config is not compared with this node's (${RELEASE})`,
  );
});
