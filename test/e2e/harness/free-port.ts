export { freePort } from "../../../src/testing/free-port.ts";

/**
 * Kills what the tests started (PostgreSQL, Redis) if the test process ends without cleaning up:
 * at exit, and on SIGINT/SIGTERM (a CI timeout), which skip the exit handlers otherwise.
 */
const leftovers = new Set<{ kill(signal?: number | NodeJS.Signals): void }>();
const killAll = () => {
  for (const proc of leftovers) proc.kill("SIGKILL");
  leftovers.clear();
};
process.once("exit", killAll);
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const)
  process.once(signal, () => {
    killAll();
    process.exit(code);
  });

export function killOnExit(proc: { kill(signal?: number | NodeJS.Signals): void }): () => void {
  leftovers.add(proc);
  return () => leftovers.delete(proc);
}
