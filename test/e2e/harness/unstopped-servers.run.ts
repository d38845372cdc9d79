import { test } from "bun:test";
import { processIds } from "./left-behind.ts";
import { startPostgres } from "./postgres-server.ts";
import { startRedis } from "./redis-server.ts";

// Run by test/e2e/left-behind.test.ts in a `bun test` of its own (a `.run.ts` file, which `bun
// test` does not pick up itself): a file that starts PostgreSQL and Redis and stops neither, as a
// file whose afterAll failed or never came would. It prints their pids for the run to check.
test("starts PostgreSQL and Redis and stops neither", async () => {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  console.log(JSON.stringify({ pids: processIds([...postgres.pids(), ...redis.pids()]) }));
});
