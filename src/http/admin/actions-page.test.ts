import { describe, expect, test } from "bun:test";
import { createMemoryAdminActionStore } from "../../storage/memory/memory-admin-action-store.ts";
import type { AdminActionStore } from "../../storage/storage.ts";
import { actionsPage } from "./actions-page.ts";

const TEAM_A = ["key_a", "key_a2"];

async function store(rows: { target: string | null; actorKeyId: string | null }[]) {
  const actions = createMemoryAdminActionStore();
  for (const [i, row] of rows.entries()) {
    await actions.append({
      at: i,
      actor: "someone",
      via: "key",
      action: row.target ? "key.create" : "session.sign_in",
      detail: null,
      clientIp: null,
      requestId: null,
      ...row,
    });
  }
  return actions;
}

/** Every page of a reader's actions, `limit` at a time: each page's ids. */
async function allPages(actions: AdminActionStore, limit: number, keys?: readonly string[], actor?: string) {
  const pages: number[][] = [];
  let before: number | undefined;
  for (;;) {
    const page = await actionsPage(
      actions,
      { ...(before ? { before } : {}), limit, ...(actor ? { actor } : {}) },
      keys,
    );
    pages.push(page.actions.map((a) => a.id));
    if (page.nextBefore === null) return pages;
    before = page.nextBefore;
  }
}

describe("actionsPage", () => {
  test("a tenant's: actions on its keys, and sign-ins with them; none of another tenant's or of no key", async () => {
    const actions = await store([
      { target: "key_a", actorKeyId: null }, // 1: on team-a's key, by single sign-on
      { target: "key_b", actorKeyId: "key_a" }, // 2: on team-b's key
      { target: null, actorKeyId: "key_a2" }, // 3: a sign-in with team-a's key
      { target: null, actorKeyId: null }, // 4: a single sign-on sign-in
      { target: null, actorKeyId: "key_b" }, // 5: a sign-in with team-b's key
    ]);
    const page = await actionsPage(actions, { limit: 50 }, TEAM_A);
    expect(page.actions.map((a) => a.id)).toEqual([3, 1]);
    expect(page.nextBefore).toBeNull();
    expect((await actionsPage(actions, { limit: 50 })).actions.map((a) => a.id)).toEqual([5, 4, 3, 2, 1]);
    expect((await actionsPage(actions, { limit: 50 }, [])).actions).toEqual([]);
  });

  test("a store that ignores `keys` (written before it) still shows a tenant none of another's", async () => {
    const filtering = await store([
      { target: "key_a", actorKeyId: null },
      { target: "key_b", actorKeyId: null },
      { target: "key_b", actorKeyId: null },
      { target: null, actorKeyId: "key_a2" },
    ]);
    const unfiltering = {
      ...filtering,
      list: ({ before, limit }: { before?: number; limit: number }) =>
        filtering.list({ ...(before ? { before } : {}), limit }),
    };
    expect((await allPages(unfiltering, 2, TEAM_A)).flat()).toEqual([4, 1]);
  });

  test("one actor's actions, by its id, within the reader's tenant; a store that ignores `actor` still shows no other's", async () => {
    const actions = await store([
      { target: "key_a", actorKeyId: "key_a2" }, // 1
      { target: "key_b", actorKeyId: "key_a2" }, // 2: on team-b's key
      { target: "key_a", actorKeyId: "jwt:team-a:key_a2" }, // 3: another caller, named alike
      { target: null, actorKeyId: "key_a2" }, // 4: its sign-in
    ]);
    expect((await allPages(actions, 50, undefined, "key_a2")).flat()).toEqual([4, 2, 1]);
    expect((await allPages(actions, 50, TEAM_A, "key_a2")).flat()).toEqual([4, 1]);
    const ignoring = {
      ...actions,
      list: ({ before, limit, keys }: { before?: number; limit: number; keys?: readonly string[] }) =>
        actions.list({ ...(before ? { before } : {}), limit, ...(keys ? { keys } : {}) }),
    };
    expect((await allPages(ignoring, 2, TEAM_A, "key_a2")).flat()).toEqual([4, 1]);
  });

  test("pages over the tenant's rows: full pages name where the next starts", async () => {
    const rows = Array.from({ length: 1_200 }, (_, i) => ({
      target: i % 3 === 0 ? "key_a" : "key_b",
      actorKeyId: null,
    }));
    const pages = await allPages(await store(rows), 150, TEAM_A);
    expect(pages.map((page) => page.length)).toEqual([150, 150, 100]);
    expect(pages.flat()).toEqual(Array.from({ length: 400 }, (_, i) => 1_198 - 3 * i));
  });

  test("a tenant's page is full however many newer actions of others came since", async () => {
    const mine = Array.from({ length: 60 }, () => ({ target: "key_a", actorKeyId: "key_a" }));
    const others = Array.from({ length: 6_000 }, () => ({ target: "key_b", actorKeyId: "key_b" }));
    const pages = await allPages(await store([...mine, ...others]), 50, TEAM_A);
    expect(pages).toEqual([
      Array.from({ length: 50 }, (_, i) => 60 - i),
      Array.from({ length: 10 }, (_, i) => 10 - i),
    ]);
  });
});
