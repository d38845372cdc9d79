import { afterAll, describe, expect, test } from "bun:test";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { keyRecord } from "../testing/key-record.ts";
import { KeyStandings } from "./key-standings.ts";
import { manualClock } from "./test-support.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let files = 0;

/** Standings over a real SQLite key store counting its id reads, on a wall clock and an elapsed one a test moves. */
function setup() {
  const storage = openSqliteStorage(tmp.file(`standings-${++files}.db`));
  let reads = 0;
  const store = {
    ...storage.keys,
    getById(id: string) {
      reads++;
      return storage.keys.getById(id);
    },
  };
  const wall = manualClock();
  const elapsed = manualClock(0);
  const standings = new KeyStandings(store, wall.now, 5000, elapsed.now);
  const run = (ms: number) => {
    wall.advance(ms);
    elapsed.advance(ms);
  };
  return { storage, standings, wall, run, reads: () => reads };
}

describe("KeyStandings", () => {
  test("an id the store does not hold (the embedder's own) stands, read again after 5 s of the node's own time whatever a step of its wall clock", async () => {
    const { storage, standings, wall, run, reads } = setup();
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(1);
    wall.advance(-600_000);
    run(4_999);
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(1);
    run(1);
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(2);
    wall.advance(600_000);
    expect(await standings.stands("key_embedders")).toBe(true);
    expect(reads()).toBe(2);
    await storage.close();
  });

  test("a stored key's expiry is its wall time: it stops standing when the wall clock passes it", async () => {
    const { storage, standings, wall, reads } = setup();
    await storage.keys.create(keyRecord({ id: "key_expiring", name: "e", expiresAt: wall.now() + 60_000 }));
    expect(await standings.stands("key_expiring")).toBe(true);
    wall.advance(60_000);
    expect(await standings.stands("key_expiring")).toBe(false);
    expect(reads()).toBe(1);
    await storage.close();
  });
});
