/**
 * Two loopback servers: an upstream that answers every call with a redirect (`status`, 307 unless
 * told) to the other, which records every request that reaches it. A call that follows no
 * redirect leaves `reached` empty.
 */
export function redirectingUpstream(status = 307) {
  const reached: { url: string; body: string }[] = [];
  const target = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      reached.push({ url: request.url, body: await request.text() });
      return Response.json({ access_token: "stolen", expires_in: 3600, data: [{ id: "stolen" }] });
    },
  });
  const location = `http://127.0.0.1:${target.port}/collect?key=LEAKED-IN-QUERY`;
  const redirector = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response("moved", { status, headers: { location } }),
  });
  return {
    /** The redirecting upstream's origin. */
    base: `http://127.0.0.1:${redirector.port}`,
    /** Where it leads, as a redirect's words name it (no query). */
    leadsTo: `http://127.0.0.1:${target.port}/collect`,
    reached,
    stop(): void {
      redirector.stop(true);
      target.stop(true);
    },
  };
}
