import { expect, test } from "bun:test";
import { MIN_READ_AUDIT_SCHEMA } from "../../src/storage/sqlite/audit-migrations.ts";
import { writeVersionOneDatabase } from "../../src/storage/sqlite/fixtures/version-one-database.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";

// A database an older mindgw left: `mindgw audit query|export -c` reads it only once `serve` has
// migrated it, and says so instead of `no such column: l.error_message`.
const fx = gatewayFixture({ fake: null, gateway: false });

test("`mindgw audit query -c` on a database at audit schema v1 says to start serve once; after serve it reads the old row", async () => {
  const dir = tempDir();
  fx.deferTest(dir.cleanup);
  writeVersionOneDatabase(dir.file("mindgw.db"), Date.now() - 60_000);
  const config = dir.file("cli.yaml");
  await Bun.write(config, `storage: { path: ${dir.file("mindgw.db")} }\n`);

  for (const command of ["query", "export"]) {
    const refused = await runMindgw(["audit", command, "-c", config]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `mindgw: the database's audit schema is v1, this mindgw reads v${MIN_READ_AUDIT_SCHEMA} or later: start \`mindgw serve\` once to migrate it\n`,
    );
  }

  const gw = await fx.spawn({ dir: dir.path, config: {} });
  expect(await gw.stop()).toBe(0);
  const read = await runMindgw(["audit", "query", "-c", config, "--json"]);
  expect(read.stderr).toBe("");
  expect(read.code).toBe(0);
  expect(read.stdout).toContain('"requestId":"old-1"');
});
