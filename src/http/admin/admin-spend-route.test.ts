import { expect, test } from "bun:test";
import { join } from "node:path";
import type { KeyView } from "../../auth/key-view.ts";
import { spendTotals } from "../../storage/spend-totals.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import type { KeyStore, SpendStore } from "../../storage/storage.ts";
import { keyRoutesGateway } from "../../testing/key-routes-gateway.ts";

// `/admin/api/spend`: the reads it makes and what each caller is shown.

test("/admin/api/spend reads each key once and every total in one read: a chain's keys report its one total, another tenant's key is left out for a tenant's admin, its own JWT subjects not", async () => {
  const reads = { keys: 0, totals: 0, total: 0 };
  let storage!: ReturnType<typeof openSqliteStorage>;
  const gateway = await keyRoutesGateway((dir) => {
    storage = openSqliteStorage(join(dir, "spend-reads.db"));
    const keys: KeyStore = {
      ...storage.keys,
      getById(id) {
        reads.keys++;
        return storage.keys.getById(id);
      },
    };
    const spend: SpendStore = {
      ...storage.spend,
      total(id) {
        reads.total++;
        return storage.spend.total(id);
      },
      totals(ids) {
        reads.totals++;
        return spendTotals(storage.spend, ids);
      },
    };
    return { ...storage, keys, spend };
  });
  try {
    const { call: send, create } = gateway;
    const first = await create({ name: "spender", tenant: "acme" });
    const second = (await (await send("POST", `/admin/api/keys/${first.id}/rotate`, {})).json()) as KeyView;
    const elsewhere = await create({ name: "other", tenant: "globex" });
    const acmeAdmin = await create({ name: "acme-spend-ops", tenant: "acme", role: "admin" });
    await storage.spend.add(
      new Map([
        [first.id, 1.5],
        [elsewhere.id, 2],
        ["jwt:acme:sub", 0.25],
        // A JWT name claim is free text: a comma is part of the id.
        ["jwt:acme:Doe, John", 0.5],
      ]),
    );
    const spent = async (ids: string[], as?: string) => {
      Object.assign(reads, { keys: 0, totals: 0, total: 0 });
      const query = ids.map((id) => `ids=${encodeURIComponent(id)}`).join("&");
      const answer = await send("GET", `/admin/api/spend?${query}`, undefined, as);
      return ((await answer.json()) as { spentUsd: Record<string, number> }).spentUsd;
    };
    const ids = [first.id, second.id, elsewhere.id, "jwt:acme:sub", "jwt:acme:Doe, John", first.id];
    expect(await spent(ids)).toEqual({
      [first.id]: 1.5,
      [second.id]: 1.5,
      [elsewhere.id]: 2,
      "jwt:acme:sub": 0.25,
      "jwt:acme:Doe, John": 0.5,
    });
    expect(reads).toEqual({ keys: 5, totals: 1, total: 0 });
    // Its own tenant's JWT subjects too, who are no keys.
    expect(await spent(ids, acmeAdmin.key)).toEqual({
      [first.id]: 1.5,
      [second.id]: 1.5,
      "jwt:acme:sub": 0.25,
      "jwt:acme:Doe, John": 0.5,
    });
    expect(reads).toEqual({ keys: 5, totals: 1, total: 0 });
    // Past 1,000 ids, repeated or in the comma form alike, is refused, not cut short unsaid.
    const many = Array.from({ length: 1001 }, (_, i) => `key_${i}`);
    for (const query of [many.map((id) => `ids=${id}`).join("&"), `ids=${many.join(",")}`]) {
      const refused = await send("GET", `/admin/api/spend?${query}`);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { param: string } }).error.param).toBe("ids");
    }
  } finally {
    await gateway.stop();
  }
});
