import { afterAll, describe, expect, test } from "bun:test";
import { createMemoryResponseStore } from "../memory/memory-response-store.ts";
import { readResponseChain } from "../response-chain.ts";
import type { ResponseStore, StoredResponse } from "../storage.ts";
import { migrate, schemaVersion } from "./migrate.ts";
import { openDatabase } from "./open-database.ts";
import { responseMigrations } from "./response-migrations.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

const stored = (tenant: string, id: string, text = "hi"): StoredResponse => ({
  tenant,
  id,
  response: { id, object: "response", output: [{ type: "message", content: [{ text }] }] },
  items: [
    { type: "message", role: "user", content: "hello" },
    { type: "message", role: "assistant", content: [{ type: "output_text", text }] },
  ],
  createdAt: 1_700_000_000_000,
});

function contract(name: string, open: () => ResponseStore) {
  describe(name, () => {
    test("saves and reads back a response with its conversation items", async () => {
      const store = open();
      const record = stored("acme", "resp_1");
      await store.save(record);
      expect(await store.get("acme", "resp_1")).toEqual(record);
    });

    test("is scoped by tenant: another tenant's id reads as unknown", async () => {
      const store = open();
      await store.save(stored("acme", "resp_2"));
      expect(await store.get("globex", "resp_2")).toBeNull();
      expect(await store.get("acme", "resp_missing")).toBeNull();
    });

    test("the same id under two tenants stays two responses", async () => {
      const store = open();
      await store.save(stored("acme", "resp_3", "for acme"));
      await store.save(stored("globex", "resp_3", "for globex"));
      expect((await store.get("acme", "resp_3"))?.response).toEqual(
        stored("acme", "resp_3", "for acme").response,
      );
      expect((await store.get("globex", "resp_3"))?.response).toEqual(
        stored("globex", "resp_3", "for globex").response,
      );
    });

    test("prune deletes only responses older than the cutoff, at most `limit` at a time", async () => {
      const store = open();
      for (const [id, createdAt] of [
        ["old_1", 1000],
        ["old_2", 2000],
        ["old_3", 2500],
        ["new_1", 5000],
      ] as const) {
        await store.save({ ...stored("prune", id), createdAt });
      }
      expect(await store.prune(3000, 2)).toBe(2);
      expect(await store.prune(3000, 10)).toBe(1);
      expect(await store.prune(3000, 10)).toBe(0);
      for (const id of ["old_1", "old_2", "old_3"]) expect(await store.get("prune", id)).toBeNull();
      expect(await store.get("prune", "new_1")).not.toBeNull();
    });

    test("saving again replaces the record", async () => {
      const store = open();
      await store.save(stored("acme", "resp_4", "first"));
      await store.save(stored("acme", "resp_4", "second"));
      expect((await store.get("acme", "resp_4"))?.response).toEqual(
        stored("acme", "resp_4", "second").response,
      );
    });
  });
}

contract("SqliteResponseStore", () => openSqliteStorage(tmp.file("contract.db")).responses);
contract("MemoryResponseStore", createMemoryResponseStore);

describe("SqliteResponseStore on disk", () => {
  test("migrates its own component and survives a reopen of the same file", async () => {
    const path = tmp.file("reopen.db");
    const first = openSqliteStorage(path);
    await first.responses.save(stored("acme", "resp_keep"));
    expect(schemaVersion(first.db, "responses")).toBe(responseMigrations.length);
    await first.close();
    const second = openSqliteStorage(path);
    expect(await second.responses.get("acme", "resp_keep")).toEqual(stored("acme", "resp_keep"));
    await second.close();
  });

  test("rows stored before the item index are indexed after its migration, in batches, the entries written since kept", async () => {
    const path = tmp.file("before-items.db");
    const old = openDatabase(path);
    migrate(old, "responses", responseMigrations.slice(0, 3));
    const insert =
      "INSERT INTO stored_responses (tenant, id, response, items, created_at) VALUES (?, ?, ?, '[]', 1)";
    old.run(insert, [
      "acme",
      "resp_native",
      JSON.stringify({ output: [{ id: "msg_up1" }, { id: 7 }, "odd"] }),
    ]);
    old.run(insert, ["acme", "resp_bad", "not json"]);
    // More rows than one batch reads.
    for (let n = 0; n < 1_200; n++)
      old.run(insert, ["bulk", `resp_${n}`, JSON.stringify({ output: [{ id: `msg_${n}` }] })]);
    // The migration itself indexes only what is written from then on (it holds the write lock).
    migrate(old, "responses", responseMigrations);
    expect(old.query("SELECT count(*) AS n FROM stored_response_items").get()).toEqual({ n: 0 });
    old.run(insert, ["acme", "resp_newer", JSON.stringify({ output: [{ id: "msg_up1" }] })]);
    old.close();
    const storage = openSqliteStorage(path);
    expect(await storage.responses.responseOfItem?.("acme", "msg_up1")).toBe("resp_newer");
    expect(await storage.responses.responseOfItem?.("globex", "msg_up1")).toBeNull();
    expect(await storage.responses.responseOfItem?.("bulk", "msg_0")).toBe("resp_0");
    expect(await storage.responses.responseOfItem?.("bulk", "msg_1199")).toBe("resp_1199");
    await storage.close();
  });

  test("the item index's trigger indexes a row inserted or replaced, not one whose other columns change", async () => {
    const storage = openSqliteStorage(tmp.file("item-trigger.db"));
    const db = storage.db;
    await storage.responses.save(stored("acme", "resp_1"));
    const said = { id: "msg_up1", type: "message", content: [] };
    await storage.responses.save({ ...stored("acme", "resp_2"), response: { id: "resp_2", output: [said] } });
    expect(await storage.responses.responseOfItem?.("acme", "msg_up1")).toBe("resp_2");
    db.run("DELETE FROM stored_response_items");
    db.run("UPDATE stored_responses SET created_at = 2 WHERE id = 'resp_2'");
    expect(await storage.responses.responseOfItem?.("acme", "msg_up1")).toBeNull();
    await storage.responses.save({ ...stored("acme", "resp_2"), response: { id: "resp_2", output: [said] } });
    expect(await storage.responses.responseOfItem?.("acme", "msg_up1")).toBe("resp_2");
    await storage.close();
  });

  test("the time free tenant labels stopped being written is when migration 4 ran, the same on every open", async () => {
    const path = tmp.file("labels-closed.db");
    const before = Date.now();
    const first = openSqliteStorage(path);
    const closedAt = first.responses.labelScopesClosedAt ?? 0;
    expect(closedAt).toBeGreaterThanOrEqual(before);
    expect(closedAt).toBeLessThanOrEqual(Date.now());
    await first.close();
    const second = openSqliteStorage(path);
    expect(second.responses.labelScopesClosedAt).toBe(closedAt);
    await second.close();
  });

  test("a row stored whole before responses named the one they continue reads as its whole chain, and is continued", async () => {
    const path = tmp.file("before-chains.db");
    const old = openDatabase(path);
    migrate(old, "responses", responseMigrations.slice(0, 2));
    const whole = stored("acme", "resp_whole");
    old.run(
      "INSERT INTO stored_responses (tenant, id, response, items, created_at, holder) VALUES (?, ?, ?, ?, ?, NULL)",
      ["acme", "resp_whole", JSON.stringify(whole.response), JSON.stringify(whole.items), whole.createdAt],
    );
    old.close();
    const storage = openSqliteStorage(path);
    expect(schemaVersion(storage.db, "responses")).toBe(responseMigrations.length);
    expect(await readResponseChain(storage.responses, "acme", "resp_whole")).toEqual({ responses: [whole] });
    const next = { ...stored("acme", "resp_next", "more"), previousId: "resp_whole" };
    await storage.responses.save(next);
    expect(await readResponseChain(storage.responses, "acme", "resp_next")).toEqual({
      responses: [whole, next],
    });
    await storage.close();
  });
});
