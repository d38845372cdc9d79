import { afterAll, beforeAll, expect, test } from "bun:test";
import { type PostgresServer, startPostgres } from "../../../test/e2e/harness/postgres-server.ts";
import { ConfigError } from "../../config/config-error.ts";
import { parseConfig } from "../../config/load-config.ts";
import { timerOverflows } from "../../testing/timer-overflows.ts";
import { openPostgresStorage } from "./postgres-storage.ts";

// Long storage bounds, as an operator writes "as long as it takes": PostgreSQL refuses a
// statement_timeout past 2^31 - 1 ms at every connection ("Value exceeds integer range"), so no
// store call could run, and setTimeout fires a longer bound after 1 ms. A connect_timeout of 30
// days is taken by both.

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(() => server.stop());

const overflows = timerOverflows();
afterAll(() => overflows.stop());

const storageOf = (statementTimeout: string) =>
  parseConfig({
    storage: {
      driver: "postgres",
      url: server.url,
      sslmode: "disable",
      statement_timeout: statementTimeout,
      connect_timeout: "30d",
    },
  }).storage;

test("a statement_timeout past PostgreSQL's range is refused at load, naming the field and the longest taken", () => {
  let problems: readonly string[] = [];
  try {
    storageOf("30d");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = error.problems;
  }
  expect(problems).toEqual([
    "storage.statement_timeout: at most 2147483647ms (about 24.8 days), PostgreSQL's own limit; 0 is no bound",
  ]);
});

test("the longest statement_timeout taken, on a node that answers no HTTP (mindgw keys): its store calls are answered", async () => {
  const config = storageOf("2147483647ms");
  const storage = await openPostgresStorage({
    url: server.url,
    pool: 2,
    statementTimeoutMs: config.statement_timeout,
    connectTimeoutMs: config.connect_timeout,
    sslmode: "disable",
  });
  try {
    expect(await storage.keys.list()).toEqual([]);
    expect(overflows.seen()).toBe(0);
  } finally {
    await storage.close();
  }
});
