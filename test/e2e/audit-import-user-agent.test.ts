import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRecord } from "../../src/audit/audit-fixture.ts";
import { MAX_AUDIT_TEXT } from "../../src/audit/audit-text.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

// `mindgw audit import` keeps a row's User-Agent as a request's row keeps it, cut to 512
// characters (src/audit/audit-text.ts): a row exported before requests cut it, or written by
// hand, holds any length, which PostgreSQL stored whole. On a real SQLite file and a real
// PostgreSQL server, read back with `mindgw audit export`.

// No gateway: the commands work on each config's store directly.
const fx = gatewayFixture({ fake: null, gateway: false });
let postgres: PostgresServer;

beforeAll(async () => {
  postgres = fx.own(await startPostgres());
}, 60_000);

// 511 characters, then an emoji (two UTF-16 units) across the 512th: cut before it, never inside.
const LONG_AGENT = `${"a".repeat(MAX_AUDIT_TEXT - 1)}😀${"b".repeat(4000)}`;
const rows = [
  makeRecord({ requestId: "long-agent", userAgent: LONG_AGENT }),
  makeRecord({ requestId: "short-agent", startedAt: 1_700_000_001_000, userAgent: "OpenAI/Python 1.99.9" }),
];

/** Each store's config; the SQLite file made by a first command, as an import takes only a gateway's file. */
const stores: Record<string, () => Promise<string>> = {
  sqlite: async () => {
    const config = join(fx.dir, "sqlite.yaml");
    writeFileSync(config, "storage: { path: ./imported.db }\n");
    expect((await runMindgw(["keys", "create", "-c", config, "--name", "first"])).code).toBe(0);
    return config;
  },
  postgres: async () => {
    const config = join(fx.dir, "postgres.yaml");
    const url = await postgres.createDatabase("imported");
    writeFileSync(config, `storage: { driver: postgres, url: "${url}", sslmode: disable }\n`);
    return config;
  },
};

describe("audit import cuts a User-Agent as a request's row is cut", () => {
  for (const [name, storage] of Object.entries(stores)) {
    test(name, async () => {
      const config = await storage();
      const file = join(fx.dir, `${name}-rows.ndjson`);
      writeFileSync(file, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n`);
      const imported = await runMindgw(["audit", "import", file, "-c", config, "--no-spend"], {
        timeoutMs: 30_000,
      });
      expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: "" });
      expect(imported.stdout).toStartWith("imported 2 rows, 0 already stored");
      const exported = await runMindgw(["audit", "export", "-c", config], { timeoutMs: 30_000 });
      expect(exported.code).toBe(0);
      const agents = exported.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { requestId: string; userAgent: string | null })
        .map(({ requestId, userAgent }) => [requestId, userAgent]);
      expect(agents).toEqual([
        ["long-agent", "a".repeat(MAX_AUDIT_TEXT - 1)],
        ["short-agent", "OpenAI/Python 1.99.9"],
      ]);
    }, 60_000);
  }
});
