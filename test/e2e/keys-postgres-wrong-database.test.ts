import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { SQL } from "bun";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Real processes on a shared 2-core machine: generous bounds.
setDefaultTimeout(60_000);

// `mindgw keys … -c` on a PostgreSQL database mindgw never set up (a mistyped database name in
// storage.url that is another database there): every command but `create` is refused, as on
// SQLite a path with no file is and as `audit`, `tenants` and `shadow report` refuse it, and
// leaves the database as it was. It filled it with mindgw's tables and answered an empty list.

let postgres: PostgresServer;
const dir = tempDir("mindgw-keys-pg-");

beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
  dir.cleanup();
});

/** A config file whose store is the database at `url`. */
function configAt(name: string, url: string): string {
  const path = dir.file(`${name}.yaml`);
  writeFileSync(path, `${JSON.stringify({ storage: { driver: "postgres", url, sslmode: "disable" } })}\n`);
  return path;
}

async function tablesOf(url: string): Promise<string[]> {
  const client = new SQL({ url, max: 1 });
  try {
    const rows: { name: string }[] =
      await client`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`;
    return rows.map((row) => row.name);
  } finally {
    await client.close();
  }
}

test("keys list, show, update, revoke and rotate -c refuse a database mindgw has not set up, making no table there", async () => {
  const url = await postgres.createDatabase("not_mindgw");
  const config = configAt("wrong", url);
  const { host, pathname } = new URL(url);
  for (const args of [
    ["list"],
    ["show", "alice"],
    ["update", "alice", "--rpm", "5"],
    ["revoke", "alice"],
    ["rotate", "alice"],
  ]) {
    const result = await runMindgw(["keys", ...args, "-c", config]);
    expect({ args, code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      args,
      code: 2,
      stdout: "",
      stderr: `mindgw: no mindgw database at ${host}${pathname}: it holds none of mindgw's tables (is storage.url right? \`mindgw serve\` makes them)\n`,
    });
  }
  expect(await tablesOf(url)).toEqual([]);
});

test("keys create -c makes the store in an empty database (the first key before any serve); then the others find it", async () => {
  const url = await postgres.createDatabase("first_key");
  const config = configAt("first", url);
  const created = await runMindgw([
    "keys",
    "create",
    "--name",
    "first-admin",
    "--role",
    "admin",
    "-c",
    config,
  ]);
  expect(created.code).toBe(0);
  const listed = await runMindgw(["keys", "list", "-c", config]);
  expect([listed.code, listed.stdout]).toEqual([0, expect.stringContaining("first-admin")]);
});
