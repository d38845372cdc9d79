import { afterAll, expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import type { ShadowPage } from "../../shadow/shadow-api-schema.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../../storage/sqlite/test-helpers.ts";
import type { ShadowStore } from "../../storage/storage.ts";
import { shadowPair } from "../../testing/shadow-pair.ts";

// `GET /admin/api/shadow?key_id=` through the real gateway in-process, on an embedder's storage (a
// real SQLite file) whose shadow store was written before `keyId` and ignores it.

const tmp = tempDir();
afterAll(() => tmp.cleanup());

test("?key_id= from a store that ignores it (written before it) shows that caller's pairs alone, page after page", async () => {
  const sqlite = openSqliteStorage(tmp.file("shadow-pages.db"));
  const shadow = sqlite.shadow;
  if (!shadow) throw new Error("SQLite keeps shadow pairs");
  // pair_2 is the JWT caller's, the others key_ci's.
  await shadow.insert([1, 2, 3, 4].map((i) => shadowPair(i)));
  const ignoring: ShadowStore = {
    ...shadow,
    list: ({ keyId: _ignored, ...known }, before, limit) => shadow.list(known, before, limit),
  };
  let adminKey = "";
  const gateway = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    storage: { ...sqlite, shadow: ignoring },
    logger: silentLogger,
    onBootstrapKey: (key) => (adminKey = key),
  });
  /** Every page of one caller's pairs, 2 at a time: each page's ids. */
  const pages = async (keyId: string) => {
    const ids: string[][] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ key_id: keyId, limit: "2", ...(cursor ? { cursor } : {}) });
      const res = await gateway.handle(
        new Request(`http://localhost/admin/api/shadow?${query}`, {
          headers: { authorization: `Bearer ${adminKey}` },
        }),
      );
      expect(res.status).toBe(200);
      const page = (await res.json()) as ShadowPage;
      ids.push(page.records.map((pair) => pair.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    return ids;
  };
  try {
    // A page comes short where the store gave another caller's pairs, never with them.
    expect(await pages("jwt:acme:ci")).toEqual([[], ["pair_2"]]);
    expect(await pages("key_ci")).toEqual([["pair_4", "pair_3"], ["pair_1"]]);
  } finally {
    await gateway.stop();
    await sqlite.close();
  }
});
