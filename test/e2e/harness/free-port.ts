/**
 * A loopback port nobody listens on right now. Servers that cannot take port 0 and report the
 * port (PostgreSQL, Redis) get one of these; a race with another process is retried by caller.
 */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

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
