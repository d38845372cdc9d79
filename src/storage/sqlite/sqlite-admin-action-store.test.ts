import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { createMemoryAdminActionStore } from "../memory/memory-admin-action-store.ts";
import type { AdminAction, AdminActionStore } from "../storage.ts";
import { createSqliteAdminActionStore } from "./sqlite-admin-action-store.ts";

const action = (n: number): AdminAction => ({
  at: n,
  actor: "ops",
  actorKeyId: n % 2 ? "key_1" : null,
  via: "session",
  action: "key.create",
  target: `key_${n}`,
  detail: null,
  clientIp: "127.0.0.1",
  requestId: `req_${n}`,
});

const stores: [string, () => AdminActionStore][] = [
  ["sqlite", () => createSqliteAdminActionStore(new Database(":memory:"))],
  ["memory", () => createMemoryAdminActionStore()],
];

describe.each(stores)("%s admin-action store", (_name, open) => {
  test("pages newest first by id, without repeats or gaps", async () => {
    const store = open();
    for (let n = 1; n <= 7; n++) await store.append(action(n));
    const first = await store.list({ limit: 3 });
    expect(first.map((a) => a.target)).toEqual(["key_7", "key_6", "key_5"]);
    const second = await store.list({ before: first.at(-1)?.id ?? 0, limit: 3 });
    expect(second.map((a) => a.target)).toEqual(["key_4", "key_3", "key_2"]);
    const last = await store.list({ before: second.at(-1)?.id ?? 0, limit: 3 });
    expect(last.map((a) => a.target)).toEqual(["key_1"]);
    expect(last[0]).toMatchObject({ ...action(1) });
  });
});
