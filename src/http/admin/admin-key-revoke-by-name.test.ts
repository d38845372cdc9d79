import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { KeyView } from "../../auth/key-view.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import type { KeyStore } from "../../storage/storage.ts";
import { type KeyRoutes, keyRoutesGateway } from "../../testing/key-routes-gateway.ts";

// A revoke by name ends every active key of the name (a rotation's two in its grace window), each on
// record, the ones it did revoke on record when the store fails midway.

let routes: KeyRoutes;
const call: KeyRoutes["call"] = (...args) => routes.call(...args);

beforeAll(async () => {
  routes = await keyRoutesGateway();
});
afterAll(() => routes.stop());

test("revoke by name in a rotation's grace window: both keys revoked, each in the answer and on record", async () => {
  const old = (await (await call("POST", "/admin/api/keys", { name: "pair" })).json()) as KeyView;
  const fresh = (await (
    await call("POST", `/admin/api/keys/${old.id}/rotate`, { grace: "1h" })
  ).json()) as KeyView;
  const answer = await call("POST", "/admin/api/keys/pair/revoke");
  expect(answer.status).toBe(200);
  const body = (await answer.json()) as KeyView & { revoked: KeyView[] };
  // The newest key, as the answer always was, and every key revoked beside it.
  expect([body.id, body.status]).toEqual([fresh.id, "revoked"]);
  expect(body.revoked.map((k) => [k.id, k.status])).toEqual([
    [fresh.id, "revoked"],
    [old.id, "revoked"],
  ]);
  const { actions } = (await (await call("GET", "/admin/api/actions?limit=50")).json()) as {
    actions: { action: string; target: string }[];
  };
  const recorded = actions.filter((a) => a.action === "key.revoke" && [old.id, fresh.id].includes(a.target));
  expect(recorded.map((a) => a.target).toSorted()).toEqual([old.id, fresh.id].toSorted());
});

test("a revoke by name whose store fails midway (503) has the key it did revoke on record", async () => {
  let storage!: ReturnType<typeof openSqliteStorage>;
  let revokes = 0;
  const failing = await keyRoutesGateway((dir) => {
    storage = openSqliteStorage(join(dir, "failing.db"));
    const keys: KeyStore = {
      ...storage.keys,
      async revoke(id, at) {
        if (++revokes === 2) throw new Error("disk I/O error");
        return storage.keys.revoke(id, at);
      },
    };
    return { ...storage, keys };
  });
  try {
    const post = (path: string, body?: object) => failing.call("POST", path, body);
    const old = (await (await post("/admin/api/keys", { name: "half" })).json()) as KeyView;
    const fresh = (await (await post(`/admin/api/keys/${old.id}/rotate`, { grace: "1h" })).json()) as KeyView;
    expect((await post("/admin/api/keys/half/revoke")).status).toBe(503);
    // The newest first: the new key revoked, the old one's revoke failed.
    const stored = await Promise.all([fresh.id, old.id].map((id) => storage.keys.getById(id)));
    expect(stored.map((k) => k?.revokedAt !== null)).toEqual([true, false]);
    const actions = (await storage.adminActions?.list({ limit: 50 })) ?? [];
    expect(actions.filter((a) => a.action === "key.revoke").map((a) => a.target)).toEqual([fresh.id]);
  } finally {
    await failing.stop();
  }
});
