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
import type { KeyStore, Storage } from "../../storage/storage.ts";
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

/**
 * An embedder's key store as written before `KeyPageFilter.name`: its `page` reads the other
 * filters and ignores that one.
 */
function ignoringName(keys: KeyStore): KeyStore {
  const { page } = keys;
  if (!page) throw new Error("a store with page expected");
  return { ...keys, page: ({ name: _ignored, ...known }, after, limit) => page(known, after, limit) };
}

/**
 * A gateway over 600 user keys (a tenth revoked) and an admin key; its store with `page`, without
 * it, or with one that ignores `name`.
 */
async function serve(name: string, store: "paged" | "listed" | "ignoring name"): Promise<Served> {
  const sqlite = openSqliteStorage(join(dir, `${name}.db`));
  const counted = countingKeyStore(sqlite.keys, store === "listed" ? ["page"] : []);
  const { reads } = counted;
  const keys = store === "ignoring name" ? ignoringName(counted.keys) : counted.keys;
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
let nameless: Served;
beforeAll(async () => {
  paged = await serve("paged", "paged");
  listed = await serve("listed", "listed");
  nameless = await serve("nameless", "ignoring name");
});
afterAll(async () => {
  for (const served of [paged, listed, nameless]) {
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

test("an embedder's key store whose page ignores ?name= (written before it) gives that name's keys alone, every one of them", async () => {
  for (const query of ["include_revoked=true&name=shared", "include_revoked=false&name=shared&tenant=even"]) {
    const { ids } = await walk(nameless, query);
    const names = await Promise.all(ids.map(async (id) => (await nameless.storage.keys.getById(id))?.name));
    expect(new Set(names)).toEqual(new Set(["shared"]));
    expect(ids.length).toBe((await walk(paged, query)).ids.length);
    expect(ids.length).toBeGreaterThan(50);
  }
});

test("every page from a store without page: its list read once, not once a page", async () => {
  const before = listed.reads.lists;
  const pages = await Array.fromAsync(keyPages(listed.storage.keys, {}, 50));
  expect(pages.flat()).toHaveLength(KEYS + 1);
  expect(pages).toHaveLength(13);
  expect(listed.reads.lists - before).toBe(1);
});
