import { test } from "bun:test";
import { SQL } from "bun";
import { processIds } from "./left-behind.ts";
import { startPostgres } from "./postgres-server.ts";
import { waitFor } from "./wait-for.ts";

// Run by test/e2e/left-behind.test.ts in a `bun test` of its own (a `.run.ts` file, which `bun
// test` does not pick up itself): a run killed outright (SIGKILL: a CI runner's hard timeout)
// while PostgreSQL runs a query, which no hook of its own outlives: only the watchdog is left to
// end the server. A backend busy in a query does not notice the postmaster's death (it looks only
// when it waits) nor its client's: it runs on. It prints the server's pids, the postmaster's and
// its backends' (the busy one's included), first.
test("starts PostgreSQL, keeps a backend busy, and is killed outright", async () => {
  const postgres = await startPostgres();
  const busy = new SQL({ url: postgres.url, max: 1 });
  busy.unsafe("DO $$ BEGIN LOOP END LOOP; END $$").catch(() => {});
  const watch = new SQL({ url: postgres.url, max: 1 });
  await waitFor(
    "the busy query to run",
    async () => (await watch.unsafe("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'DO $$%'")).length > 0,
    30_000,
  );
  await watch.close();
  console.log(JSON.stringify({ pids: processIds(postgres.pids()) }));
  process.kill(process.pid, "SIGKILL");
});
