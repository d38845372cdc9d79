import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { handReloadedSource } from "../../testing/hand-reloaded-source.ts";
import { storedKey } from "../../testing/stored-key.ts";
import { tenantsConfig } from "../../testing/tenants-config.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// A Responses WebSocket is held to the config from its `open`, after its upgrade was admitted: a
// reload in between, which removes the caller's tenant, told no connection. The socket is judged by
// the config in force once it opens, and closed as that reload would have closed it (1008, in the
// words of the key). Through the real gateway on a loopback port, the reload landing while the
// upgrade's key is read from the store: after the old config's runtime was taken for the upgrade.

const dir = mkdtempSync(join(tmpdir(), "mindgw-socket-tenant-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a reload that removes the caller's tenant after its socket's upgrade was admitted and before the socket opened closes it as the tenant's removal", async () => {
  const storage = openSqliteStorage(join(dir, "gw.db"));
  const key = await storedKey(storage.keys, { tenant: "team-a" });
  const tenants = handReloadedSource(tenantsConfig(["team-a", "team-b"]));
  // The reload to run once the upgrade's key is asked for: its runtime (the old config's) is taken.
  let reloadAtLookup: (() => Promise<void>) | undefined;
  const getByHash = storage.keys.getByHash;
  const gateway = await createGateway({
    configSource: tenants.source,
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
    reloadAtLookup = () => tenants.reload(tenantsConfig(["team-b"]));
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
