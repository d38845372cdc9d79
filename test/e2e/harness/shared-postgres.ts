import { afterAll } from "bun:test";
import { endAll } from "./left-behind.ts";
import type { PostgresServer } from "./postgres-server.ts";

/** What a file may do with the shared server: make databases of its own on it. */
export type SharedPostgres = Pick<PostgresServer, "port" | "url" | "createDatabase">;

let shared: Promise<PostgresServer> | undefined;

/**
 * The test run's one PostgreSQL server, for the files whose tests never stop, kill or restart
 * their server (those start their own with `startPostgres`). Each file makes databases of its own
 * on it (`createDatabase`), so none sees another's rows. `bun test` runs its files one after
 * another in one process: the first file that asks starts it, and it stops after the run's last
 * file (the hook below).
 */
export function sharedPostgres(): Promise<SharedPostgres> {
  // Loaded only when a file asks: this module is preloaded into every test process.
  shared ??= import("./postgres-server.ts").then(({ startPostgres }) => startPostgres());
  return shared;
}

// Preloaded (bunfig.toml, read by every `bun test` run from the repository's root), a hook
// registered here runs once, after the whole run's files, and the server stops after what used
// it. In a run without the preload the hook is the first importing file's, after that file's
// tests: a later file that asks starts a server of its own that no hook stops (Bun 1.4's runner
// emits no process "exit" either); left-behind.ts's watchdog kills it, and removes its folder,
// when the run's process ends (left-behind.test.ts). Run the files that share it from the root
// all the same: one server.
// A preloaded hook that throws makes Bun skip the ones after it (end-left-behind.ts's): a failed
// stop still fails the run, and what no file stopped is ended here all the same.
afterAll(async () => {
  const server = shared;
  shared = undefined;
  try {
    await (await server?.catch(() => undefined))?.stop();
  } finally {
    endAll();
  }
});
