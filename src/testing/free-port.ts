/**
 * A loopback port nobody listens on right now: one the OS handed out, closed again. Servers that
 * cannot take port 0 and report the port (PostgreSQL, Redis) get one of these, a race with another
 * process retried by the caller; so does a test that wants an address refused ("a closed upstream").
 * Never a fixed port instead: a low one (1, 9) may be some host's service (9 is discard), and the
 * suite takes no fixed ports.
 */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
