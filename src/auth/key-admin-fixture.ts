import { afterAll, expect } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { createKeyAdmin } from "./key-admin.ts";
import type { Principal } from "./principal.ts";
import { manualClock } from "./test-support.ts";

/**
 * The key admin's test files' one fixture: each test's own SQLite file, in a temporary folder the
 * calling file removes when it ends (the fixture registers that with `afterAll`).
 */
export function keyAdminFixture() {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  let files = 0;
  /** A store on a file of its own. */
  const freshStorage = () => openSqliteStorage(tmp.file(`admin-${++files}.db`));
  /** A key admin on a fresh store, its clock at 2030-01-01, and the key ids it told the cache of. */
  const setup = () => {
    const storage = freshStorage();
    const clock = manualClock(Date.parse("2030-01-01T00:00:00Z"));
    const changes: string[] = [];
    const admin = createKeyAdmin({
      store: storage.keys,
      now: clock.now,
      onChange: (r) => changes.push(r.id),
    });
    return { storage, clock, admin, changes };
  };
  return { setup, freshStorage };
}

/** The GatewayError a call failed with (failing the test if it did not fail so). */
export async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** A caller who is no admin. */
export const user: Principal = {
  keyId: "key_u",
  name: "u",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: {},
  via: "key",
};
