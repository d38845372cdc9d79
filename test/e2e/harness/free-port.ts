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

/** Kills what the tests started if the test process ends without cleaning up. */
const leftovers = new Set<{ kill(signal?: number | NodeJS.Signals): void }>();
process.once("exit", () => {
  for (const proc of leftovers) proc.kill("SIGKILL");
});

export function killOnExit(proc: { kill(signal?: number | NodeJS.Signals): void }): () => void {
  leftovers.add(proc);
  return () => leftovers.delete(proc);
}
