import { expect, test } from "bun:test";
import { ensureBootstrapAdmin } from "./bootstrap-admin.ts";
import { keyAdminFixture } from "./key-admin-fixture.ts";
import { KeyCache } from "./key-cache.ts";

// The bootstrap admin key while it is handed over, and what a start does with one left pending or
// abandoned, on a real SQLite store.

const { freshStorage } = keyAdminFixture();
const START = Date.parse("2030-01-01T00:00:00Z");

test("while it is handed over the key admits nobody, even on a node whose clock lags the one that made it", async () => {
  const storage = freshStorage();
  // Another node's clock, five seconds behind this one's.
  const lagging = new KeyCache({ store: storage.keys, now: () => START - 5_000 });
  let admittedWhileHanded: unknown = "not asked";
  await ensureBootstrapAdmin(
    storage.keys,
    async (issued) => {
      admittedWhileHanded = await lagging.resolve(issued.key);
    },
    { now: () => START },
  );
  // Before, it was inserted expiring at its creation: valid to any clock behind that.
  expect(admittedWhileHanded).toBeNull();
  await lagging.close();
  await storage.close();
});
