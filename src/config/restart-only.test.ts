import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "./load-config.ts";
import { RESTART_ONLY, restartRequired } from "./restart-only.ts";

const base = { providers: [{ name: "demo", type: "mock" }] };
const oidc = {
  issuer: "https://idp.example.com",
  client_id: "mindgw",
  redirect_url: "https://gw.example.com/admin/auth/callback",
  allowed_users: ["alice@example.com"],
};

describe("restartRequired", () => {
  test("admin_ui edits apply on reload: the admin UI reads the current config, so none is 'restart required'", () => {
    const before = parseConfig(base);
    const edits = [
      { admin_ui: { enabled: false } },
      { admin_ui: { session_ttl: "1h" } },
      { admin_ui: { oidc } },
      { admin_ui: { oidc: { ...oidc, allowed_users: ["bob@example.com"] } } },
    ];
    for (const edit of edits) expect(restartRequired(before, parseConfig({ ...base, ...edit }))).toEqual([]);
  });

  test("an edit of a field read once at start is named", () => {
    const before = parseConfig(base);
    const after = parseConfig({ ...base, server: { port: 9999 }, log: { level: "debug" } });
    expect(restartRequired(before, after)).toEqual(["server.port", "log"]);
  });

  test("cluster: adding it, or editing any of its options, is named: the cluster is built once, at start", () => {
    const postgres = { ...base, storage: { driver: "postgres", url: "postgres://db/mindgw" } };
    const cluster = {
      redis_url: "redis://10.0.0.5:6379",
      advertise_url: "http://10.0.0.7:8080",
      secret: "0123456789abcdef",
    };
    const single = parseConfig(postgres);
    const node = parseConfig({ ...postgres, cluster });
    expect(restartRequired(single, node)).toEqual(["cluster"]);
    expect(
      restartRequired(node, parseConfig({ ...postgres, cluster: { ...cluster, node_name: "gw-2" } })),
    ).toEqual(["cluster"]);
    expect(
      restartRequired(node, parseConfig({ ...postgres, cluster: { ...cluster, heartbeat: "2s" } })),
    ).toEqual(["cluster"]);
    expect(restartRequired(node, single)).toEqual(["cluster"]);
  });

  test("config.example.yaml names exactly the restart-only fields", () => {
    const example = readFileSync(join(import.meta.dir, "../../config.example.yaml"), "utf8");
    // "# Restart required (…, not applied): server.host, …, workers.max_message. Everything else …"
    const joined = example.replace(/\n# ?/g, " ");
    const header = joined.slice(joined.indexOf("Restart required ("), joined.indexOf(". Everything else"));
    const named = header
      .slice(header.indexOf("):") + 2)
      .split(",")
      .map((field) => field.trim());
    expect(named).toEqual([...RESTART_ONLY]);
  });
});
