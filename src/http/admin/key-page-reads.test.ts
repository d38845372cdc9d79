import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyView } from "../../auth/key-view.ts";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { keyPages } from "../../storage/key-pages.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import type { Storage } from "../../storage/storage.ts";
import { countingKeyStore, type KeyReads, storedAdminKey } from "../../testing/counting-key-store.ts";
import { numberedKey } from "../../testing/key-record.ts";

// How much of the key table `/admin/api/keys?limit=` reads, through the real gateway in-process on
// an embedder's storage (a real SQLite file) whose key store counts the rows it returned.

const dir = mkdtempSync(join(tmpdir(), "mindgw-key-page-reads-"));
const KEYS = 600;

interface Served {
  gateway: Gateway;
  storage: Storage;
  reads: KeyReads;
  adminKey: string;
}

/** A gateway over 600 user keys (a tenth revoked) and an admin key; `withPage` false: a store without `page`. */
async function serve(name: string, withPage: boolean): Promise<Served> {
  const sqlite = openSqliteStorage(join(dir, `${name}.db`));
  const { keys, reads } = countingKeyStore(sqlite.keys, withPage ? [] : ["page"]);
  const storage: Storage = { ...sqlite, keys };
  const adminKey = await storedAdminKey(keys);
  for (let i = 0; i < KEYS; i++)
    await keys.create(
      numberedKey({
        tenant: i % 2 === 0 ? "even" : "default",
        revokedAt: i % 10 === 0 ? 1 : null,
        ...(i % 3 === 0 ? { name: "shared" } : {}),
      }),
    );
  const gateway = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    storage,
    logger: silentLogger,
  });
  return { gateway, storage, reads, adminKey };
}

let paged: Served;
let listed: Served;
beforeAll(async () => {
  paged = await serve("paged", true);
  listed = await serve("listed", false);
});
afterAll(async () => {
  for (const served of [paged, listed]) {
    await served.gateway.stop();
    await served.storage.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function walk(served: Served, query: string): Promise<{ ids: string[]; pages: number; rows: number }> {
  const before = { ...served.reads };
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await served.gateway.handle(
      new Request(`http://localhost/admin/api/keys?${query}&limit=50${cursor ? `&cursor=${cursor}` : ""}`, {
        headers: { authorization: `Bearer ${served.adminKey}` },
      }),
    );
    expect(res.status).toBe(200);
    const page = (await res.json()) as { keys: KeyView[]; nextCursor: string | null };
    ids.push(...page.keys.map((k) => k.id));
    cursor = page.nextCursor;
    pages++;
    if (pages === 1 && served === paged) {
      // One page reads one page and the one key that says another follows: never the table.
      expect(served.reads.rows - before.rows).toBe(51);
      expect(served.reads.lists).toBe(before.lists);
    }
  } while (cursor);
  return { ids, pages, rows: served.reads.rows - before.rows };
}

test("a page of keys reads that page from the store (51 rows of 601), and the pages add up to the whole list", async () => {
  const all = await walk(paged, "include_revoked=true");
  expect(all.pages).toBe(13);
  expect(new Set(all.ids).size).toBe(KEYS + 1);
  expect(all.rows).toBeLessThan(13 * 51);
  const active = await walk(paged, "include_revoked=false&tenant=even");
  expect(active.ids).toHaveLength(KEYS / 2 - KEYS / 10);
});

test("an embedder's key store without page gives the same pages, from its whole list", async () => {
  for (const query of [
    "include_revoked=true",
    "include_revoked=false&tenant=even",
    "include_revoked=false",
    "include_revoked=true&name=shared",
  ]) {
    expect((await walk(listed, query)).ids.length).toBe((await walk(paged, query)).ids.length);
  }
});

test("every page from a store without page: its list read once, not once a page", async () => {
  const before = listed.reads.lists;
  const pages = await Array.fromAsync(keyPages(listed.storage.keys, {}, 50));
  expect(pages.flat()).toHaveLength(KEYS + 1);
  expect(pages).toHaveLength(13);
  expect(listed.reads.lists - before).toBe(1);
});
