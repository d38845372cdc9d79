import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KeyView } from "../../auth/key-view.ts";
import { type KeyRoutes, keyRoutesGateway } from "../../testing/key-routes-gateway.ts";

// `/admin/api/keys` paged and whole, through the real gateway in-process (a real SQLite file).

let routes: KeyRoutes;
const call: KeyRoutes["call"] = (...args) => routes.call(...args);
const listed: KeyRoutes["listed"] = (...args) => routes.listed(...args);

beforeAll(async () => {
  routes = await keyRoutesGateway();
  // Created in parallel: many share a millisecond, which the paging must still order.
  await Promise.all(
    Array.from({ length: 120 }, (_, i) => call("POST", "/admin/api/keys", { name: `bulk-${i}` })),
  );
});
afterAll(() => routes.stop());

test("with a limit, keys come a page at a time, newest first, and the pages add up to the whole list", async () => {
  const whole = await listed("/admin/api/keys");
  expect(whole.keys).toHaveLength(121); // the bootstrap admin and the 120
  expect(whole.nextCursor).toBeNull();

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await listed(`/admin/api/keys?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
    expect(page.keys.length).toBeLessThanOrEqual(50);
    seen.push(...page.keys.map((k) => k.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  expect(pages).toBe(3);
  expect(new Set(seen).size).toBe(121);
  expect(new Set(seen)).toEqual(new Set(whole.keys.map((k) => k.id)));
  const created = seen.map((id) => whole.keys.find((k) => k.id === id)?.created_at ?? "");
  expect(created).toEqual([...created].sort().reverse());
});

test("a key revoked between two pages neither repeats nor hides another", async () => {
  const first = await listed("/admin/api/keys?limit=10");
  const last = first.keys.at(-1);
  if (!last || !first.nextCursor) throw new Error("expected a second page");
  expect((await call("POST", `/admin/api/keys/${last.id}/revoke`)).status).toBe(200);
  const second = await listed(`/admin/api/keys?limit=10&cursor=${first.nextCursor}`);
  const whole = await listed("/admin/api/keys");
  const at = whole.keys.findIndex((k) => k.id === second.keys[0]?.id);
  expect(whole.keys.slice(at - 9, at).map((k) => k.id)).toEqual(first.keys.slice(0, 9).map((k) => k.id));
});

test("a malformed cursor or limit is a 400 naming it", async () => {
  const bad = await call("GET", "/admin/api/keys?limit=10&cursor=nonsense");
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("cursor");
  expect((await call("GET", "/admin/api/keys?limit=0")).status).toBe(400);
});

test("the keys a rotation leaves name one chain (their first key's id), which another key of the same name is not in", async () => {
  const created = (await (
    await call("POST", "/admin/api/keys", { name: "dup", budget_usd: 1 })
  ).json()) as KeyView;
  const rotate = async (id: string) =>
    (await (await call("POST", `/admin/api/keys/${id}/rotate`, { grace: "1h" })).json()) as KeyView;
  const second = await rotate(created.id);
  const third = await rotate(second.id);
  const stranger = (await (await call("POST", "/admin/api/keys", { name: "dup" })).json()) as KeyView;
  const chains = Object.fromEntries(
    (await listed("/admin/api/keys")).keys.filter((k) => k.name === "dup").map((k) => [k.id, k.chain]),
  );
  expect(chains).toEqual({
    [created.id]: created.id,
    [second.id]: created.id,
    [third.id]: created.id,
    [stranger.id]: stranger.id,
  });
  expect([created.chain, second.chain, stranger.chain]).toEqual([created.id, created.id, stranger.id]);
});
