import { test } from "bun:test";
import { processIds } from "./left-behind.ts";
import { startRedis } from "./redis-server.ts";
import { sharedPostgres } from "./shared-postgres.ts";

// Run by test/e2e/left-behind.test.ts in a `bun test` of its own (a `.run.ts` file, which `bun
// test` does not pick up itself): the shared PostgreSQL server's stop fails after the run (made to
// here, after stopping it), and a Redis server no file stopped must end all the same. Prints its
// pids for the run to check.
test("the shared server's stop fails; Redis is left running", async () => {
  const shared = await sharedPostgres();
  const [redis, { stop }] = [await startRedis(), shared as typeof shared & { stop(): Promise<void> }];
  Object.assign(shared, {
    stop: async () => {
      await stop();
      throw new Error("the shared server's stop failed (on purpose)");
    },
  });
  console.log(JSON.stringify({ pids: processIds(redis.pids()) }));
});
