import { afterAll, describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import type { KeyStore } from "../storage/key-store.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { keyRecord } from "../testing/key-record.ts";
import { withKeyChains } from "./key-chains.ts";
import { type Principal, principalFromKey } from "./principal.ts";
import { manualClock } from "./test-support.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let files = 0;

/** A rotation's two keys, the new one (`key_new`) of the old one's chain, in a real store whose by-id reads are listed. */
async function setup() {
  const storage = openSqliteStorage(tmp.file(`chains-${++files}.db`));
  await storage.keys.create(keyRecord({ id: "key_old", hash: "a".padStart(64, "0"), name: "old" }));
  await storage.keys.create(
    keyRecord({ id: "key_new", hash: "b".padStart(64, "0"), name: "new", chain: "key_old" }),
  );
  const read: string[] = [];
  const store: KeyStore = {
    ...storage.keys,
    getById: (id) => {
      read.push(id);
      return storage.keys.getById(id);
    },
  };
  return { storage, store, read };
}

/** The embedder's principal for a key (the same object on every request, as a cache of its own would hand back). */
const embedderPrincipal = (keyId: string): Principal => {
  const { chain: _, ...principal } = principalFromKey(keyRecord({ id: keyId }));
  return principal;
};

describe("withKeyChains", () => {
  test("a rotation's new key spends under its chain, read once however many requests come together", async () => {
    const { storage, store, read } = await setup();
    const principal = embedderPrincipal("key_new");
    const authenticate = withKeyChains(async () => principal, store);
    const principals = await Promise.all(Array.from({ length: 50 }, () => authenticate(new Headers())));
    expect(principals.every((p) => p.chain === "key_old")).toBe(true);
    expect(await authenticate(new Headers())).toBe(await authenticate(new Headers()));
    expect(read).toEqual(["key_new"]);
    await storage.close();
  });

  test("a key the store did not hold yet is read again once negativeTtlMs has passed", async () => {
    const { storage, store, read } = await setup();
    const clock = manualClock();
    const principal = embedderPrincipal("key_later");
    const authenticate = withKeyChains(async () => principal, store, { now: clock.now, negativeTtlMs: 5000 });
    expect((await authenticate(new Headers())).chain).toBe("key_later");
    await storage.keys.create(
      keyRecord({ id: "key_later", hash: "c".padStart(64, "0"), name: "later", chain: "key_old" }),
    );
    expect((await authenticate(new Headers())).chain).toBe("key_later");
    clock.advance(5000);
    expect((await authenticate(new Headers())).chain).toBe("key_old");
    expect(read).toEqual(["key_later", "key_later"]);
    await storage.close();
  });

  test("a store that throws before any promise is a 503 to retry, not the uniform 401; the next request reads again", async () => {
    const { storage, store, read } = await setup();
    let down = true;
    const failing: KeyStore = {
      ...store,
      getById: (id) => {
        if (down) throw new Error("pool closed");
        return store.getById(id);
      },
    };
    const authenticate = withKeyChains(async () => embedderPrincipal("key_new"), failing);
    const error = await authenticate(new Headers()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 503, code: "storage_unavailable", retryable: true });
    down = false;
    expect((await authenticate(new Headers())).chain).toBe("key_old");
    expect(read).toEqual(["key_new"]);
    await storage.close();
  });

  test("an id no stored key can have is not looked up", async () => {
    const { storage, store, read } = await setup();
    const principal = embedderPrincipal("user-42");
    const authenticate = withKeyChains(async () => principal, store);
    expect(await authenticate(new Headers())).toBe(principal);
    expect(read).toEqual([]);
    await storage.close();
  });
});
