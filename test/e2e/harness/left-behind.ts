import { afterAll } from "bun:test";

/**
 * Ends what the tests started (PostgreSQL, Redis, initdb's template folder) and no test stopped:
 * after the run, and on SIGINT/SIGTERM (a CI timeout), which end the process before any hook.
 * Not at the process's "exit": Bun 1.4.5's test runner emits none (checked: a handler there never
 * runs), so each run left its template (~40 MB) in /tmp. Preloaded (bunfig.toml, after
 * shared-postgres.ts, whose stop comes first: preloaded hooks run in their order), the hook below
 * runs once, after the run's last file; in a run without the preload, after the file that first
 * imported this module.
 */
const leftovers = new Set<{ kill(signal?: number | NodeJS.Signals): void }>();
const endAll = () => {
  for (const proc of leftovers) proc.kill("SIGKILL");
  leftovers.clear();
};
afterAll(endAll);
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const)
  process.once(signal, () => {
    endAll();
    process.exit(code);
  });

/** Ends `proc` after the run unless the returned function (its stop) is called first. */
export function endAfterRun(proc: { kill(signal?: number | NodeJS.Signals): void }): () => void {
  leftovers.add(proc);
  return () => leftovers.delete(proc);
}
