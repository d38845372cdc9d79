import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { AuditRecord } from "../../src/audit/audit-record.ts";
import { readOnlyPath } from "../../src/testing/read-only-path.ts";
import { adminGet, allAuditRows, chatBody, createKey } from "./harness/audit-kit.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// Every filter and cursor pagination, through /admin/api/audit and `mindgw audit query`, and
// export as NDJSON and CSV through /admin/api/audit/export and `mindgw audit export`.
let gw: GatewayProcess;
let bob: { key: string; id: string };
let boundary = 0;
const ALL = ["p1-a1", "p1-a2", "p1-b1", "p2-b1", "p2-a404", "p2-401"];

const ours = (records: readonly Pick<AuditRecord, "requestId">[]) =>
  records
    .map((r) => r.requestId)
    .filter((id) => ALL.includes(id))
    .sort();

async function call(key: string | null, model: string, id: string): Promise<void> {
  const response = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-request-id": id,
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify(chatBody(model)),
  });
  await response.arrayBuffer();
}

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    providers: [
      { name: "fakeA", type: "openai", base_url: `${fake.url}/v1` },
      { name: "fakeB", type: "openai", base_url: `${fake.url}/v1` },
    ],
    models: [
      { name: "m1", routes: [{ provider: "fakeA", model: "m1" }] },
      { name: "m2", routes: [{ provider: "fakeB", model: "m2" }] },
    ],
  }),
});

beforeAll(async () => {
  gw = fx.gw;
  const alice = await createKey(gw, { name: "alice", role: "user" });
  bob = await createKey(gw, { name: "bob", role: "user" });
  await call(alice.key, "m1", "p1-a1");
  await call(alice.key, "m1", "p1-a2");
  await call(bob.key, "m2", "p1-b1");
  // The boundary falls strictly between the two groups' timestamps (a condition, not a sleep).
  const before = Date.now();
  await waitFor("the clock to pass the first group", () => Date.now() > before);
  boundary = Date.now();
  await waitFor("the clock to pass the boundary", () => Date.now() > boundary);
  await call(bob.key, "m1", "p2-b1");
  await call(alice.key, "nope", "p2-a404");
  await call("mgw_notakey", "m1", "p2-401");
  await waitFor("all rows", async () => ours(await allAuditRows(gw)).length === ALL.length);
}, 30_000);

/** Filter → the request ids it must return (ours only: admin calls leave rows too). */
const CASES: [Record<string, string>, string[]][] = [
  [{}, ALL],
  [{ key: "alice" }, ["p1-a1", "p1-a2", "p2-a404"]],
  [{ model: "m1" }, ["p1-a1", "p1-a2", "p2-b1"]],
  [{ route: "provider:fakeB" }, ["p1-b1"]],
  [{ route: "provider:fakeA" }, ["p1-a1", "p1-a2", "p2-b1"]],
  [{ status: "4xx" }, ["p2-401", "p2-a404"]],
  [{ status: "404" }, ["p2-a404"]],
  [{ status: "2xx" }, ["p1-a1", "p1-a2", "p1-b1", "p2-b1"]],
  [{ key: "alice", model: "m1", status: "2xx" }, ["p1-a1", "p1-a2"]],
];
const timeCases = (): [Record<string, string>, string[]][] => [
  [{ from: String(boundary) }, ["p2-401", "p2-a404", "p2-b1"]],
  [{ to: new Date(boundary).toISOString() }, ["p1-a1", "p1-a2", "p1-b1"]],
  [{ from: new Date(boundary).toISOString(), model: "m1" }, ["p2-b1"]],
  [{ key: bob.id }, ["p1-b1", "p2-b1"]],
];
const flags = (filter: Record<string, string>) => Object.entries(filter).flatMap(([k, v]) => [`--${k}`, v]);
const sorted = (ids: string[]) => [...ids].sort();

describe("/admin/api/audit", () => {
  test("every filter returns exactly its rows", async () => {
    for (const [filter, expected] of [...CASES, ...timeCases()]) {
      expect({ filter, ids: ours(await allAuditRows(gw, new URLSearchParams(filter).toString())) }).toEqual({
        filter,
        ids: sorted(expected),
      });
    }
  });

  test("cursor pagination visits every row once, newest first", async () => {
    const seen: AuditRecord[] = [];
    let cursor: string | null = null;
    do {
      const page: { records: AuditRecord[]; nextCursor: string | null } = await adminGet(
        gw,
        `/admin/api/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}&to=${Date.now() + 1}`,
      );
      expect(page.records.length).toBeLessThanOrEqual(2);
      seen.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor !== null);
    const ids = seen.map((r) => r.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ours(seen)).toEqual(sorted(ALL));
    const times = seen.map((r) => r.startedAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  test("bad filters are a 400 naming the field", async () => {
    for (const query of ["status=7xx", "from=yesterday", "limit=0", "cursor=nope", "color=red"]) {
      const response = await fetch(`${gw.url}/admin/api/audit?${query}`, {
        headers: { authorization: `Bearer ${gw.adminKey}` },
      });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
  });

  test("export streams NDJSON and CSV, oldest first", async () => {
    const get = (q: string) =>
      fetch(`${gw.url}/admin/api/audit/export?${q}`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
    const ndjson = await get("format=ndjson&model=m1");
    expect(ndjson.headers.get("content-type")).toContain("application/x-ndjson");
    const records = (await ndjson.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as AuditRecord);
    expect(records.map((r) => r.requestId)).toEqual(["p1-a1", "p1-a2", "p2-b1"]);
    const csv = await get("format=csv&key=alice");
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]?.split(",").slice(0, 3)).toEqual(["requestId", "startedAt", "keyId"]);
    // The fields NDJSON carries are CSV columns too.
    expect(lines[0]).toContain(",errorMessage,dropped,attempts,");
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(["p1-a1", "p1-a2", "p2-a404"]);
  });
});

describe("mindgw audit", () => {
  const local = () => ["-c", gw.configPath];
  const remote = () => ["--gateway", gw.url, "--admin-key", gw.adminKey!];
  const parse = (stdout: string) =>
    stdout
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as AuditRecord);

  test("query --json: every filter, on the local database and through the gateway", async () => {
    for (const target of [local(), remote()]) {
      for (const [filter, expected] of [...CASES, ...timeCases()]) {
        const out = await runMindgw([
          "audit",
          "query",
          ...target,
          "--json",
          "--limit",
          "1000",
          ...flags(filter),
        ]);
        expect({ target: target[0], filter, code: out.code, ids: ours(parse(out.stdout)) }).toEqual({
          target: target[0],
          filter,
          code: 0,
          ids: sorted(expected),
        });
      }
    }
  }, 60_000);

  test("--since and a duration in --from/--to: a span back from now, for query and export, as shadow report reads it", async () => {
    const spans: [string[], string[]][] = [
      [["--since", "1h"], ALL],
      [
        ["--since", "1h", "--model", "m1"],
        ["p1-a1", "p1-a2", "p2-b1"],
      ],
      // Every row is older than a millisecond by the time the command runs.
      [["--since", "1ms"], []],
      [["--from", "1d", "--to", "1ms"], ALL],
      [["--to", "1h"], []],
    ];
    for (const target of [local(), remote()]) {
      for (const [span, expected] of spans) {
        const query = await runMindgw(["audit", "query", ...target, "--json", "--limit", "1000", ...span]);
        const exported = await runMindgw(["audit", "export", ...target, ...span]);
        expect({ span, codes: [query.code, exported.code], ids: ours(parse(query.stdout)) }).toEqual({
          span,
          codes: [0, 0],
          ids: sorted(expected),
        });
        expect(ours(parse(exported.stdout))).toEqual(sorted(expected));
      }
    }
    const both = await runMindgw(["audit", "query", ...local(), "--since", "1h", "--from", "0"]);
    expect(both.code).toBe(2);
    const notSpan = await runMindgw(["audit", "export", ...local(), "--since", "yesterday"]);
    expect([notSpan.code, notSpan.stderr]).toEqual([
      2,
      expect.stringContaining("--since: not a duration: yesterday"),
    ]);
  }, 60_000);

  test("query pages with --limit and the --cursor printed on stderr", async () => {
    for (const target of [local(), remote()]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const out = await runMindgw([
          "audit",
          "query",
          ...target,
          "--json",
          "--limit",
          "2",
          "--model",
          "m1",
          ...(cursor ? ["--cursor", cursor] : []),
        ]);
        expect(out.code).toBe(0);
        seen.push(...parse(out.stdout).map((r) => r.requestId));
        cursor = out.stderr.match(/--cursor (\S+)/)?.[1];
        if (!cursor) break;
      }
      expect(seen).toEqual(["p2-b1", "p1-a2", "p1-a1"]);
    }
  }, 30_000);

  test("query prints a table without --json; bad flags exit 2", async () => {
    const table = await runMindgw(["audit", "query", ...local(), "--key", "bob"]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^TIME\s+STATUS\s+KEY\s+MODEL\s+ROUTE/);
    expect(table.stdout).toContain("p1-b1");
    for (const bad of [
      ["--status", "7xx"],
      ["--from", "yesterday"],
      ["--limit", "5000"],
    ]) {
      const out = await runMindgw(["audit", "query", ...local(), ...bad]);
      expect({ bad, code: out.code }).toEqual({ bad, code: 2 });
    }
    // A time without Z or an offset would be read in the CLI's own zone: refused, whatever TZ says.
    const zoneless = await runMindgw(["audit", "query", ...local(), "--to", "2026-12-05T17:52:00"], {
      env: { TZ: "Asia/Tokyo" },
    });
    expect(zoneless.code).toBe(2);
    expect(zoneless.stderr).toContain(
      "--to: expected epoch milliseconds, a date (2025-01-31: its UTC midnight), or an ISO 8601 date-time with Z or an offset",
    );
    const noKey = await runMindgw(["audit", "query", "--gateway", gw.url], { env: { MINDGW_ADMIN_KEY: "" } });
    expect(noKey.code).toBe(2);
  }, 30_000);

  test("a store made by `keys create -c` before any serve: an empty log, exit 0", async () => {
    const config = `${gw.dir}/fresh.yaml`;
    await Bun.write(
      config,
      `storage: { path: ./fresh/gw.db }\ntenants:\n  - { name: t1, budget: { usd: 5, per: month } }\n`,
    );
    const created = await runMindgw([
      "keys",
      "create",
      "-c",
      config,
      "--name",
      "first-admin",
      "--role",
      "admin",
    ]);
    expect(created.code).toBe(0);
    const runs = {
      query: await runMindgw(["audit", "query", "-c", config, "--json"]),
      export: await runMindgw(["audit", "export", "-c", config]),
      csv: await runMindgw(["audit", "export", "-c", config, "--format", "csv"]),
      tenants: await runMindgw(["tenants", "-c", config, "--json"]),
    };
    for (const [name, run] of Object.entries(runs))
      expect({ name, code: run.code, stderr: run.stderr }).toEqual({ name, code: 0, stderr: "" });
    expect(runs.query.stdout).toBe("");
    expect(runs.export.stdout).toBe("");
    expect(runs.csv.stdout.startsWith("requestId,startedAt,")).toBe(true);
    expect(runs.csv.stdout.trim().split("\r\n")).toHaveLength(1);
    expect(JSON.parse(runs.tenants.stdout).tenants[0]).toMatchObject({ name: "t1", keys: 0 });
  }, 30_000);

  test("a stopped gateway's file in a read-only folder (a read-only mount, a snapshot): query, export, tenants and shadow report read it", async () => {
    const config = `${gw.dir}/frozen.yaml`;
    await Bun.write(config, "storage: { path: ./frozen/gw.db }\ntenants:\n  - { name: t1 }\n");
    expect(
      (await runMindgw(["keys", "create", "-c", config, "--name", "t1-user", "--tenant", "t1"])).code,
    ).toBe(0);
    // Rows of its own: the served gateway's, exported and imported as a stop's unwritten rows are.
    const rows = `${gw.dir}/frozen-rows.ndjson`;
    expect((await runMindgw(["audit", "export", ...remote(), "--model", "m1", "-o", rows])).code).toBe(0);
    const imported = await runMindgw(["audit", "import", rows, "-c", config, "--no-spend"]);
    expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: "" });
    const folder = `${gw.dir}/frozen`;
    expect(readdirSync(folder)).toEqual(["gw.db"]);
    // No file can be created there, by root either (who a chmod does not stop): no -shm.
    const writable = readOnlyPath(folder);
    try {
      const runs = {
        query: await runMindgw(["audit", "query", "-c", config, "--json"]),
        export: await runMindgw(["audit", "export", "-c", config]),
        tenants: await runMindgw(["tenants", "-c", config, "--json"]),
        shadow: await runMindgw(["shadow", "report", "-c", config, "--json"]),
      };
      // Each said `unable to open database file` (tenants and shadow report naming no file).
      for (const [name, run] of Object.entries(runs))
        expect({ name, code: run.code, stderr: run.stderr }).toEqual({ name, code: 0, stderr: "" });
      expect(ours(parse(runs.query.stdout))).toEqual(["p1-a1", "p1-a2", "p2-b1"]);
      expect(ours(parse(runs.export.stdout))).toEqual(["p1-a1", "p1-a2", "p2-b1"]);
      expect(JSON.parse(runs.tenants.stdout).tenants[0]).toMatchObject({ name: "t1" });
      expect(readdirSync(folder)).toEqual(["gw.db"]);
    } finally {
      writable();
    }
  }, 30_000);

  test("tenants -c and audit query -c read a file another process writes through read-only handles alone: the WAL it holds is left as it is", async () => {
    const config = `${gw.dir}/beside.yaml`;
    await Bun.write(config, "storage: { path: ./beside/gw.db }\ntenants:\n  - { name: t1 }\n");
    const created = await runMindgw(["keys", "create", "-c", config, "--name", "t1-user", "--tenant", "t1"]);
    expect(created.code).toBe(0);
    // This handle stands for a gateway serving from the file: its write sits in the WAL, which only
    // a checkpoint (a writable handle's close, say) would move into the file and truncate.
    const serving = new Database(`${gw.dir}/beside/gw.db`);
    try {
      serving.run("PRAGMA wal_autocheckpoint = 0");
      serving.run("INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES ('t1', 0.25, 1)");
      const wal = () => statSync(`${gw.dir}/beside/gw.db-wal`).size;
      const held = wal();
      expect(held).toBeGreaterThan(0);
      for (const args of [
        ["tenants", "-c", config, "--json"],
        ["audit", "query", "-c", config, "--json"],
      ]) {
        const run = await runMindgw(args);
        expect({ args, code: run.code, stderr: run.stderr, wal: wal() }).toEqual({
          args,
          code: 0,
          stderr: "",
          wal: held,
        });
        if (args[0] === "tenants")
          expect(JSON.parse(run.stdout).tenants[0]).toMatchObject({ name: "t1", keys: 1 });
      }
    } finally {
      serving.close();
    }
  }, 30_000);

  test("-c beats MINDGW_GATEWAY: query and export read the file's database", async () => {
    // The environment's gateway would refuse this key (exit 2): a 0 means it was not asked.
    const env = { MINDGW_GATEWAY: gw.url, MINDGW_ADMIN_KEY: `mgw_${"Q".repeat(43)}` };
    for (const command of [["query", "--json"], ["export"]]) {
      const out = await runMindgw(["audit", ...command, ...local(), "--model", "m1"], { env });
      expect({ command, code: out.code, ids: ours(parse(out.stdout)) }).toEqual({
        command,
        code: 0,
        ids: ["p1-a1", "p1-a2", "p2-b1"],
      });
    }
  }, 30_000);

  test("export --format ndjson|csv to stdout and --output, locally and through the gateway", async () => {
    for (const target of [local(), remote()]) {
      const ndjson = await runMindgw(["audit", "export", ...target, "--model", "m1"]);
      expect(ndjson.code).toBe(0);
      expect(parse(ndjson.stdout).map((r) => r.requestId)).toEqual(["p1-a1", "p1-a2", "p2-b1"]);
      const file = `${gw.dir}/export-${target[0]?.replace(/\W/g, "")}.csv`;
      const csv = await runMindgw([
        "audit",
        "export",
        ...target,
        "--format",
        "csv",
        "--status",
        "4xx",
        "-o",
        file,
      ]);
      expect(csv.code).toBe(0);
      expect(csv.stdout).toBe("");
      const lines = readFileSync(file, "utf8").trim().split("\r\n");
      expect(lines[0]?.startsWith("requestId,startedAt,")).toBe(true);
      expect(
        lines
          .slice(1)
          .map((l) => l.split(",")[0])
          .filter((id) => ALL.includes(id!)),
      ).toEqual(["p2-a404", "p2-401"]);
    }
    const badFormat = await runMindgw(["audit", "export", ...local(), "--format", "xml"]);
    expect(badFormat.code).toBe(2);
  }, 30_000);

  test("export -o that fails (gateway unreachable, key refused, bad filter) leaves the file there as it was", async () => {
    const file = `${gw.dir}/kept.csv`;
    const before = "last week's export\n";
    await Bun.write(file, before);
    const failing = [
      ["--gateway", `http://127.0.0.1:${freePort()}`, "--admin-key", "x"],
      ["--gateway", gw.url, "--admin-key", "mgw_wrongkey"],
      [...local(), "--status", "6xx"],
    ];
    for (const target of failing) {
      const out = await runMindgw(["audit", "export", ...target, "--format", "csv", "-o", file]);
      expect({ target, code: out.code }).not.toEqual({ target, code: 0 });
      expect({ target, file: readFileSync(file, "utf8") }).toEqual({ target, file: before });
    }
    // Nothing left beside it, and one that succeeds replaces it whole.
    expect(readdirSync(gw.dir).filter((name) => name.startsWith("kept.csv."))).toEqual([]);
    const done = await runMindgw([
      "audit",
      "export",
      ...remote(),
      "--format",
      "csv",
      "--model",
      "m2",
      "-o",
      file,
    ]);
    expect(done.code).toBe(0);
    expect(readFileSync(file, "utf8")).toStartWith("requestId,startedAt,");
    expect(readdirSync(gw.dir).filter((name) => name.startsWith("kept.csv."))).toEqual([]);
  }, 30_000);
});
