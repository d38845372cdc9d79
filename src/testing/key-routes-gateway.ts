import type { KeyView } from "../auth/key-view.ts";
import type { Storage } from "../storage/storage.ts";
import { type StartedGateway, startStoredGateway } from "./stored-gateway.ts";

/** `/admin/api/keys` as a page of it answers. */
export interface KeyList {
  keys: KeyView[];
  nextCursor: string | null;
}

/** The admin API's key routes on a gateway under test, called as its bootstrap admin unless `as` says. */
export interface KeyRoutes extends StartedGateway {
  listed(path: string, as?: string): Promise<KeyList>;
  /** A key made by `POST /admin/api/keys`, its plain secret with it. */
  create(input: object, as?: string): Promise<KeyView & { key: string }>;
}

/**
 * `startStoredGateway` with one mock model behind it, on SQLite in its temp dir or on
 * `storageIn(dir)`: a store a test fails or counts the reads of.
 */
export async function keyRoutesGateway(storageIn?: (dir: string) => Storage): Promise<KeyRoutes> {
  const gw = await startStoredGateway(
    {
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    },
    { storageIn },
  );
  return {
    ...gw,
    listed: async (path, as) => (await (await gw.call("GET", path, undefined, as)).json()) as KeyList,
    create: async (input, as) =>
      (await (await gw.call("POST", "/admin/api/keys", input, as)).json()) as KeyView & { key: string },
  };
}
