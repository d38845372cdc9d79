import { afterAll, expect, test } from "bun:test";
import { createGateway, openSqliteStorage, type Principal, parseConfig, silentLogger } from "../index.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { keyRecord } from "../testing/key-record.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

const chat = () =>
  new Request("http://localhost/v1/chat/completions", {
    method: "POST",
    headers: { authorization: "Bearer any", "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });

/** What an embedder's authenticator says of an API key: no `chain`. */
const keyCaller = (keyId: string, budgetUsd: number): Principal => ({
  keyId,
  name: "k",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: { budgetUsd },
  via: "key",
});

test("an embedder's authenticator's principal for a rotated key that omits its chain is held to the chain's budget and counted under the chain, never under the key's own id", async () => {
  const path = tmp.file("chains.db");
  const before = openSqliteStorage(path);
  await before.keys.create(keyRecord({ id: "key_a1", hash: "a".repeat(64) }));
  await before.keys.create(keyRecord({ id: "key_a2", hash: "b".repeat(64), chain: "key_a1" }));
  await before.spend.add(new Map([["key_a1", 1]]));
  await before.close();
  let caller = keyCaller("key_a2", 1);
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path },
      auth: { bootstrap_admin: false },
      providers: [{ name: "mock", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "mock", model: "m" }] }],
      prices: { m: { input_per_mtok: 1, output_per_mtok: 1 } },
    }),
    auth: async () => caller,
    logger: silentLogger,
  });
  try {
    // The chain has spent the budget of 1: the rotation's new key is refused, as its own (0) would not.
    const refused = await gateway.handle(chat());
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: "budget_exceeded" } });
    caller = keyCaller("key_a2", 2);
    expect((await gateway.handle(chat())).status).toBe(200);
  } finally {
    await gateway.stop();
  }
  const after = openSqliteStorage(path);
  try {
    const { totals } = await after.spend.changedSince(0);
    expect(totals.has("key_a2")).toBe(false);
    expect(totals.get("key_a1")).toBeGreaterThan(1);
  } finally {
    await after.close();
  }
});
