import { afterAll, expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../../storage/sqlite/test-helpers.ts";
import { shadowPair } from "../../testing/shadow-pair.ts";

// `GET /admin/api/shadow?cursor=` through the real gateway in-process on a real SQLite file: a
// reader held to its tenant gives another tenant's pair id as its cursor, and is answered as for an
// id of no pair, never with a page that says the pair exists.

const tmp = tempDir();
afterAll(() => tmp.cleanup());

test("a tenant's reader naming another tenant's pair as its cursor is refused as for no pair", async () => {
  const sqlite = openSqliteStorage(tmp.file("shadow-cursor.db"));
  // pair_4 is another tenant's (`other`), the rest acme's (testing/shadow-pair.ts).
  await sqlite.shadow?.insert([1, 2, 3, 4].map((i) => shadowPair(i)));
  let adminKey = "";
  const gateway = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      tenants: [{ name: "acme" }],
    }),
    storage: sqlite,
    logger: silentLogger,
    onBootstrapKey: (key) => (adminKey = key),
  });
  const call = (path: string, token: string, init: RequestInit = {}) =>
    gateway.handle(
      new Request(`http://localhost${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      }),
    );
  try {
    const made = await call("/admin/api/keys", adminKey, {
      method: "POST",
      body: JSON.stringify({ name: "acme-member", tenant: "acme" }),
    });
    const member = ((await made.json()) as { key: string }).key;
    const answer = async (cursor: string) => {
      const res = await call(`/admin/api/shadow?cursor=${cursor}`, member);
      return [res.status, await res.text()];
    };
    const none = await answer("pair_none");
    expect(none[0]).toBe(400);
    expect(await answer("pair_4")).toEqual(none);
    // Its own pair is a cursor as ever.
    const own = await call("/admin/api/shadow?cursor=pair_3", member);
    expect(((await own.json()) as { records: { id: string }[] }).records.map((r) => r.id)).toEqual([
      "pair_2",
      "pair_1",
    ]);
  } finally {
    await gateway.stop();
    await sqlite.close();
  }
});
