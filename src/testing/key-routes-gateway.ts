import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyView } from "../auth/key-view.ts";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import type { Storage } from "../storage/storage.ts";
import { callAs } from "./recording-gateway.ts";

/** `/admin/api/keys` as a page of it answers. */
export interface KeyList {
  keys: KeyView[];
  nextCursor: string | null;
}

/** The admin API's key routes on a gateway under test, called as its bootstrap admin unless `as` says. */
export interface KeyRoutes {
  readonly gateway: Gateway;
  call(method: string, path: string, body?: object, as?: string): Promise<Response>;
  listed(path: string, as?: string): Promise<KeyList>;
  /** A key made by `POST /admin/api/keys`, its plain secret with it. */
  create(input: object, as?: string): Promise<KeyView & { key: string }>;
  /** Stops the gateway and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * The real gateway in-process, one mock model behind it, on a SQLite file in a temp dir of its own,
 * or on `storageIn(dir)`: a store a test fails or counts the reads of.
 */
export async function keyRoutesGateway(storageIn?: (dir: string) => Storage): Promise<KeyRoutes> {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-key-routes-"));
  let adminKey = "";
  const gateway = await createGateway({
    config: parseConfig({
      ...(storageIn ? {} : { storage: { path: join(dir, "keys.db") } }),
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    ...(storageIn ? { storage: storageIn(dir) } : {}),
    logger: silentLogger,
    onBootstrapKey: (key) => (adminKey = key),
  });
  const call = (method: string, path: string, body?: object, as = adminKey) =>
    callAs(gateway, as, method, path, body);
  return {
    gateway,
    call,
    listed: async (path, as) => (await (await call("GET", path, undefined, as)).json()) as KeyList,
    create: async (input, as) =>
      (await (await call("POST", "/admin/api/keys", input, as)).json()) as KeyView & { key: string },
    stop: async () => {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
