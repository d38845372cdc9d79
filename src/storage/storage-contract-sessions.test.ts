/**
 * The storage contract, every backend (storage-contract-fixture.ts): `AdminSessionStore`, the web
 * console's sessions. Keys and admin actions: storage-contract.test.ts; spend and stored
 * responses: storage-contract-spend.test.ts, storage-contract-responses.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { contractBackends } from "./storage-contract-fixture.ts";

for (const [name, fresh, shared] of contractBackends()) {
  describe(`Storage contract: ${name}`, () => {
    test("admin sessions: saved by id hash, never returned once expired, deleted, pruned; their last use moved on", async () => {
      const { adminSessions } = await fresh();
      if (!adminSessions) throw new Error("this backend has no admin-session store");
      const session = (idHash: string, expiresAt: number) => ({
        idHash,
        csrf: `csrf-${idHash}`,
        principal: JSON.stringify({ name: "ops", via: "session" }),
        method: "key" as const,
        keyId: "key_1",
        createdAt: 1_700_000_000_000,
        expiresAt,
        usedAt: 1_700_000_000_000,
      });
      const T = 1_700_000_060_000;
      await adminSessions.save(session("a".repeat(64), T));
      await adminSessions.save({ ...session("b".repeat(64), T + 1000), method: "oidc", keyId: null });
      expect(await adminSessions.get("a".repeat(64), T - 1)).toEqual(session("a".repeat(64), T));
      expect(await adminSessions.get("a".repeat(64), T)).toBeNull(); // expiry is exclusive
      expect(await adminSessions.get("c".repeat(64), 0)).toBeNull();
      expect(await adminSessions.get("b".repeat(64), T)).toMatchObject({ method: "oidc", keyId: null });
      await adminSessions.touch("b".repeat(64), T - 5);
      expect(await adminSessions.get("b".repeat(64), T)).toMatchObject({
        usedAt: T - 5,
        createdAt: 1_700_000_000_000,
      });
      await adminSessions.touch("d".repeat(64), T); // a session already gone: no row is made
      expect(await adminSessions.get("d".repeat(64), 0)).toBeNull();
      await expect(adminSessions.save(session("b".repeat(64), T))).rejects.toThrow(); // ids are unique
      expect(await adminSessions.prune(T)).toBe(1);
      expect(await adminSessions.prune(T)).toBe(0);
      await adminSessions.delete("b".repeat(64));
      expect(await adminSessions.get("b".repeat(64), 0)).toBeNull();
    });

    test("admin sessions: a row from before used_at (null there) reads its sign-in as its last use, then moves on", async () => {
      const database = await shared();
      const node = await database.open();
      if (!node.adminSessions) throw new Error("this backend has no admin-session store");
      await node.adminSessions.get("0".repeat(64), 0); // this node has migrated the table (used_at added)
      const before = {
        idHash: "e".repeat(64),
        csrf: "csrf-e",
        principal: JSON.stringify({ name: "ops", via: "session" }),
        method: "key" as const,
        keyId: "key_1",
        createdAt: 1_700_000_000_000,
        expiresAt: 1_700_000_900_000,
      };
      await database.addAdminSessionAsPreviousRelease(before);
      expect(await node.adminSessions.get(before.idHash, before.createdAt)).toEqual({
        ...before,
        usedAt: before.createdAt,
      });
      await node.adminSessions.touch(before.idHash, before.createdAt + 60_000);
      expect(await node.adminSessions.get(before.idHash, before.createdAt)).toMatchObject({
        usedAt: before.createdAt + 60_000,
      });
    });
  });
}
