/**
 * Ends what the tests and benchmarks started (PostgreSQL, Redis, initdb's template folder) and
 * none stopped. Free of the test runner, so `bun run` (benchmarks) may import what imports this:
 * under `bun run` the process's "exit" ends them; under `bun test`, which emits no "exit" (Bun
 * 1.4.5, checked: a handler there never runs), the preloaded afterAll in end-left-behind.ts does;
 * SIGINT/SIGTERM (a CI timeout) end the process before either, so they end them too.
 */
const leftovers = new Set<{ kill(signal?: number | NodeJS.Signals): void }>();

/** Ends every process and folder still registered (with `endAfterRun`) and not stopped. */
export function endAll(): void {
  for (const proc of leftovers) proc.kill("SIGKILL");
  leftovers.clear();
}

process.once("exit", endAll);
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
