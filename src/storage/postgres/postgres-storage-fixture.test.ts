import { expect, test } from "bun:test";
import { closeEach, postgresFixture } from "./postgres-storage-fixture.ts";

const pg = postgresFixture();

test("every close is run though one before it fails, and the first failure is thrown after them", async () => {
  const closed: string[] = [];
  const close =
    (name: string, fails = false) =>
    async () => {
      closed.push(name);
      if (fails) throw new Error(`${name} failed`);
    };
  const all = closeEach([close("storage"), close("client", true), close("pool", true), close("thread")]);
  await expect(all).rejects.toThrow("client failed");
  expect(closed).toEqual(["storage", "client", "pool", "thread"]);
  await closeEach([close("alone")]);
});

// The two tests below run in this order: the first ends with the server it killed still down, as a
// test that fails between `kill` and `start` does.
test("a test that kills the server and ends before starting it again …", async () => {
  const storage = await pg.storage(await pg.database());
  await pg.server.kill();
  await expect(storage.keys.count()).rejects.toMatchObject({ code: "storage_unavailable" });
}, 60_000);

test("… leaves the server started again for the next test, its store closed", async () => {
  const storage = await pg.storage(await pg.database());
  expect(await storage.keys.count()).toBe(0);
}, 60_000);
