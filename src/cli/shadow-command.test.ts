import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import type { ShadowPage } from "../shadow/shadow-api-schema.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { runCliCaptured } from "../testing/run-cli-captured.ts";
import { shadowPair } from "../testing/shadow-pair.ts";

// `mindgw shadow report -c`: the report read from a config's database, in this process.

const tmp = tempDir();
afterAll(() => tmp.cleanup());

test("--json from the database is the /admin/api/shadow page: its nextCursor says an older page exists, as a gateway's does", async () => {
  const db = tmp.file("report.db");
  const storage = openSqliteStorage(db);
  // 25 pairs (pair_1 … pair_25); the report's page holds the newest 20.
  const { agreement } = shadowPair(1);
  await storage.shadow?.insert(Array.from({ length: 25 }, (_, i) => shadowPair(i + 1, { agreement })));
  await storage.close();
  const config = tmp.file("gw.yaml");
  writeFileSync(
    config,
    `storage: { path: ${db} }\nproviders: [{ name: demo, type: mock }]\nmodels: [{ name: m, routes: [{ provider: demo, model: m }] }]\n`,
  );
  const run = await runCliCaptured(["shadow", "report", "--json", "-c", config]);
  expect([run.code, run.stderr]).toEqual([0, ""]);
  const page = JSON.parse(run.stdout) as ShadowPage;
  expect(page.records.map((pair) => pair.id)).toEqual(Array.from({ length: 20 }, (_, i) => `pair_${25 - i}`));
  expect(page.nextCursor).toBe("pair_6");
});

test("--since a span of nothing (0s, 0h) is refused as a bad value, exit 2, as one that is no span at all", async () => {
  const config = tmp.file("none.yaml");
  writeFileSync(config, "providers: [{ name: demo, type: mock }]\nmodels: []\n");
  for (const since of ["0s", "0h", "0ms"]) {
    const run = await runCliCaptured(["shadow", "report", "--since", since, "-c", config]);
    expect([run.code, run.stderr]).toEqual([
      2,
      `mindgw: --since: ${since} is no span: nothing is recorded in it (use e.g. 1h, 30m, 7d)\n`,
    ]);
  }
  const bad = await runCliCaptured(["shadow", "report", "--since", "soon", "-c", config]);
  expect([bad.code, bad.stderr]).toEqual([
    2,
    "mindgw: --since: not a duration: soon (use e.g. 1h, 30m, 7d)\n",
  ]);
});

test("a range whose every pair the gateway cut off says the pairs are there and none compared, not that none were recorded", async () => {
  const db = tmp.file("cut.db");
  const storage = openSqliteStorage(db);
  const cut = (i: number) => {
    const pair = shadowPair(i);
    return { ...pair, shadow: { ...pair.shadow, status: 503, errorClass: "unavailable" } };
  };
  await storage.shadow?.insert([cut(1), cut(3)]);
  await storage.close();
  const config = tmp.file("cut.yaml");
  writeFileSync(config, `storage: { path: ${db} }\nproviders: [{ name: demo, type: mock }]\nmodels: []\n`);
  const said = (args: string[]) => runCliCaptured(["shadow", "report", ...args, "-c", config]);
  const ranged = await said(["--since", "999999d"]);
  expect([ranged.code, ranged.stdout, ranged.stderr]).toEqual([
    0,
    "2 shadow pairs in this range, none compared: the gateway cut off every copy (503 unavailable: a stop, a worker or the shadow thread lost), which the figures leave out\n",
    "",
  ]);
  const filtered = await said(["--model", "a"]);
  expect(filtered.stdout).toStartWith("1 shadow pair matches this filter, none compared: ");
  expect((await said([])).stdout).toStartWith("2 shadow pairs recorded, none compared: ");
});
