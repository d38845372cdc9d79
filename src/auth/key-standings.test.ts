import { afterAll, describe, expect, test } from "bun:test";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import type { KeyStore } from "../storage/storage.ts";
import { keyRecord } from "../testing/key-record.ts";
import { wallAndElapsed } from "../testing/stepped-clocks.ts";
import { KeyStandings } from "./key-standings.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let files = 0;

/**
 * Standings over a real SQLite key store counting its id reads, on the wall and elapsed clocks a
 * test moves (or on the clocks `standingsOf` gives them).
 */
function setup(standingsOf?: (store: KeyStore) => KeyStandings) {
  const storage = openSqliteStorage(tmp.file(`standings-${++files}.db`));
  let reads = 0;
  const store = {
    ...storage.keys,
    getById(id: string) {
      reads++;
      return storage.keys.getById(id);
    },
  };
  const clock = wallAndElapsed();
  const standings = standingsOf?.(store) ?? new KeyStandings(store, clock.now, 5000, clock.elapsed);
  return { storage, standings, clock, reads: () => reads };
}

describe("KeyStandings", () => {
  test("an id the store does not hold (the embedder's own) stands, read again after 5 s of the node's own time whatever a step of its wall clock", async () => {
    const { storage, standings, clock, reads } = setup();
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(1);
    clock.step(-600_000);
    clock.run(4_999);
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(1);
    clock.run(1);
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(2);
    clock.step(600_000);
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(2);
    await storage.close();
  });

  test("a stored key's expiry is its wall time: it stops standing when the wall clock passes it", async () => {
    const { storage, standings, clock, reads } = setup();
    await storage.keys.create(keyRecord({ id: "key_expiring", name: "e", expiresAt: clock.now() + 60_000 }));
    expect(await standings.stands("key_expiring")).toBe(true);
    clock.run(60_000);
    expect(await standings.stands("key_expiring")).toBe(false);
    expect(reads()).toBe(1);
    await storage.close();
  });

  test("a test's `now` alone times an unheld id's 5 s too, as KeyCache's and CachedCredential's do", async () => {
    let now = 1_700_000_000_000;
    const { storage, standings, reads } = setup((store) => new KeyStandings(store, () => now, 5000));
    expect(await standings.stands("key_embedders")).toBe(true);
    now += 5_000;
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(2);
    await storage.close();
  });
});
