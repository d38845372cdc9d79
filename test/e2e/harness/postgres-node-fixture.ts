import { gatewayFixture } from "./gateway-fixture.ts";
import { type ChatInit, chatAt } from "./node-load.ts";
import { type PostgresServer, startPostgres } from "./postgres-server.ts";
import { type SharedPostgres, sharedPostgres } from "./shared-postgres.ts";
import { type FakeProcess, spawnFakeUpstream } from "./spawn-worker.ts";

/** The audit's flush interval on every node: rows land within a few tens of milliseconds. */
export const FLUSH_MS = 20;

/** A node of its own on a fresh database: the mock model, `extra` merged over. */
export const ownNodeConfig = (url: string, extra: Record<string, unknown> = {}) => ({
  storage: { driver: "postgres", url, pool: 3, sslmode: "disable", connect_timeout: "1s" },
  providers: [{ name: "mock", type: "mock" }],
  models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
  audit: { flush_ms: FLUSH_MS },
  ...extra,
});

/**
 * The one `mindgw serve` on PostgreSQL that the postgres-node*.test.ts files share: a database of
 * its own, the mock, a model shadowed to the mock, a model whose first route is the workers' (the
 * mock when none serves it), two tenants. The fake upstream (a process of its own, `fx.fake`) is
 * what a worker serves from; `worker: false` starts none, for a file with no worker. The database
 * is on the test run's shared server (harness/shared-postgres.ts); `ownServer: true` starts a
 * server for the file alone, for one whose tests kill and restart it. Each file that calls it
 * starts its own in its `beforeAll`: read `fx.gw` (the latest after a restart), `fx.adminKey` and
 * `postgres` when a test runs.
 */
export function postgresNodeFixture<Own extends boolean = false>({
  worker = true,
  ownServer,
}: {
  worker?: boolean;
  ownServer?: Own;
} = {}) {
  let postgres: SharedPostgres | undefined;
  const fx = gatewayFixture<FakeProcess>({
    fake: worker ? () => spawnFakeUpstream() : null,
    fakeRoutes: false,
    config: async (_fakeUrl, { own }) => {
      const server = ownServer ? own(await startPostgres()) : await sharedPostgres();
      postgres = server;
      const databaseUrl = await server.createDatabase();
      return {
        storage: { driver: "postgres", url: databaseUrl, sslmode: "disable", connect_timeout: "1s" },
        providers: [{ name: "mock", type: "mock" }],
        models: [
          { name: "mock", routes: [{ provider: "mock", model: "mock" }] },
          // Every answer copied to a shadow: pairs in PostgreSQL for `mindgw shadow report -c`.
          {
            name: "shadowed",
            routes: [{ provider: "mock", model: "mock" }],
            shadow: { provider: "mock", model: "mock", sample: 1 },
          },
          // A worker first, the mock when no worker serves it: the failover case.
          {
            name: "pooled",
            routes: [
              { provider: "workers", model: "fake-model" },
              { provider: "mock", model: "mock" },
            ],
          },
        ],
        audit: { flush_ms: FLUSH_MS },
        tenants: [{ name: "team-a" }, { name: "team-b" }],
      };
    },
  });

  return {
    fx,
    /**
     * The PostgreSQL server the node's database is on (a further database: `createDatabase`); the
     * file's own with `ownServer`, to kill and start again.
     */
    get postgres(): Own extends true ? PostgresServer : SharedPostgres {
      if (postgres === undefined) throw new Error("the PostgreSQL server is used before beforeAll ran");
      // Which one `config` started, as `ownServer` said.
      return postgres as Own extends true ? PostgresServer : SharedPostgres;
    },
    /** A chat call to the node with `key`. */
    chat: (key: string, init: ChatInit = {}) => chatAt(fx.gw.url, key, init),
    /** The node's admin API as the bootstrap admin. */
    admin: () => ({ url: fx.gw.url, adminKey: fx.adminKey }),
    /** An admin API read as the bootstrap admin. */
    adminGet: async <T>(path: string): Promise<T> =>
      (await (
        await fetch(fx.url(path), { headers: { authorization: `Bearer ${fx.adminKey}` } })
      ).json()) as T,
    /** The code of an error answer. */
    errorCode: async (response: Response) =>
      ((await response.json()) as { error: { code: string } }).error.code,
  };
}
