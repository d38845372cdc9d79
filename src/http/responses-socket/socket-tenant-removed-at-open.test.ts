import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import type { Config } from "../../config/config-schema.ts";
import { parseConfig } from "../../config/load-config.ts";
import type { ConfigWatchHandlers } from "../../config/watch-config.ts";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { storedKey } from "../../testing/stored-key.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// A Responses WebSocket is held to the config from its `open`, after its upgrade was admitted: a
// reload in between, which removes the caller's tenant, told no connection. The socket is judged by
// the config in force once it opens, and closed as that reload would have closed it (1008, in the
// words of the key). Through the real gateway on a loopback port, the reload landing while the
// upgrade's key is read from the store: after the old config's runtime was taken for the upgrade.

const dir = mkdtempSync(join(tmpdir(), "mindgw-socket-tenant-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `tenants:` by name, and a mock model. */
const configOf = (tenants: readonly string[]): Config =>
  parseConfig({
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    tenants: tenants.map((name) => ({ name })),
  });

test("a reload that removes the caller's tenant after its socket's upgrade was admitted and before the socket opened closes it as the tenant's removal", async () => {
  const storage = openSqliteStorage(join(dir, "gw.db"));
  const key = await storedKey(storage.keys, { tenant: "team-a" });
  let handlers: ConfigWatchHandlers | undefined;
  // The reload to run once the upgrade's key is asked for: its runtime (the old config's) is taken.
  let reloadAtLookup: (() => Promise<void>) | undefined;
  const getByHash = storage.keys.getByHash;
  const gateway = await createGateway({
    configSource: {
      initial: configOf(["team-a", "team-b"]),
      path: null,
      watch: (given) => {
        handlers = given;
        return () => {};
      },
    },
    logger: silentLogger,
    storage: {
      ...storage,
      keys: {
        ...storage.keys,
        getByHash: async (hash) => {
          const reload = reloadAtLookup;
          reloadAtLookup = undefined;
          await reload?.();
          return getByHash(hash);
        },
      },
    },
  });
  try {
    const { port } = gateway.listen("127.0.0.1", 0);
    reloadAtLookup = async () => {
      if (!handlers) throw new Error("the gateway did not watch its config source");
      await handlers.onValid(configOf(["team-b"]));
    };
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/responses`, {
      headers: { authorization: `Bearer ${key}` },
    });
    let closed: { code: number; reason: string } | undefined;
    socket.on("error", () => undefined);
    socket.on("close", (code, reason) => {
      closed = { code, reason: String(reason) };
    });
    try {
      expect(await waitForValue("the socket to close", () => closed, 10_000)).toEqual({
        code: 1008,
        reason: "the API key's tenant was removed",
      });
      expect(reloadAtLookup).toBeUndefined();
    } finally {
      socket.close();
    }
  } finally {
    await gateway.stop();
  }
});
