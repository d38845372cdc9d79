import { expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import { postgresFixture } from "../../storage/postgres/postgres-storage-fixture.ts";
import { openConfigStoreReadOnly } from "../config-store.ts";
import { localAudit } from "./audit-source.ts";

const pg = postgresFixture();

/** A config whose storage is the PostgreSQL database at `url`. */
function configAt(url: string) {
  const database = new URL(url);
  database.searchParams.set("sslmode", "disable");
  return parseConfig({ storage: { driver: "postgres", url: database.toString() } });
}

/** The tables of a database's public schema. */
async function tablesOf(url: string): Promise<string[]> {
  const rows: { name: string }[] = await pg.client(url)`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`;
  return rows.map((row) => row.name);
}

test("audit query -c on a PostgreSQL database where mindgw made no tables (a mistyped storage.url) is refused, and makes none there", async () => {
  const url = await pg.database();
  const name = `${new URL(url).hostname}:${new URL(url).port}${new URL(url).pathname}`;
  const refusal = `no mindgw database at ${name}: it holds none of mindgw's tables (is storage.url right? \`mindgw serve\` makes them)`;
  // It migrated the database: every table of mindgw's made, to read an empty log from.
  await expect(localAudit(configAt(url), false)).rejects.toThrow(refusal);
  // The other commands that only read the store (tenants -c, shadow report -c), alike.
  await expect(openConfigStoreReadOnly(configAt(url), false)).rejects.toThrow(refusal);
  expect(await tablesOf(url)).toEqual([]);
});

test("audit query -c reads a database mindgw made", async () => {
  const url = await pg.database();
  const served = await pg.storage(url);
  await served.close();
  const audit = await localAudit(configAt(url), false);
  try {
    expect((await audit.page({})).records).toEqual([]);
  } finally {
    await audit.close();
  }
});
