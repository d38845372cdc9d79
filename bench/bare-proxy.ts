/**
 * The floor for any Bun gateway: forward the request, stream the upstream's answer back.
 *   bun bench/bare-proxy.ts --upstream http://127.0.0.1:PORT [--port N]
 * Prints one JSON line `{"port":N}` once listening; stops on SIGTERM.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { upstream: { type: "string" }, port: { type: "string", default: "0" } },
});
if (!values.upstream) throw new Error("--upstream URL is required");
const upstream = values.upstream.replace(/\/$/, "");

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  fetch(req) {
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("host");
    return fetch(`${upstream}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: req.body,
      signal: req.signal,
    });
  },
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on("SIGTERM", () => {
  void server.stop(true).finally(() => process.exit(0));
});
