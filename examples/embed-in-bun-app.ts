/**
 * Embed the gateway in your own Bun server: your routes first, everything else to mindgw.
 *
 *   bun examples/embed-in-bun-app.ts
 *   curl localhost:3000/hello
 *   curl localhost:3000/v1/chat/completions -H "authorization: Bearer $KEY" \
 *        -d '{"model":"mock","messages":[{"role":"user","content":"hi"}]}'
 */
import { createGateway, parseConfig, silentLogger } from "../src/index.ts";

export async function start(port = 0) {
  let adminKey = "";
  const gateway = await createGateway({
    // The config object is the YAML's shape, validated the same way as a file.
    config: parseConfig({
      storage: { path: ":memory:" },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
    logger: silentLogger,
    // With an empty key store the gateway creates one admin key and hands it over once.
    onBootstrapKey: (key) => {
      adminKey = key;
    },
  });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    // The gateway's WebSockets (workers dialling in, the Responses API's WebSocket mode) upgrade on
    // this server: its handlers here, and the server handed in with each request.
    websocket: gateway.websocket,
    fetch(request, server) {
      if (new URL(request.url).pathname === "/hello") return new Response("hello from my app\n");
      // The client's address, for its audit row and the per-address cap (server.max_client_requests).
      return gateway.handle(request, { clientIp: server.requestIP(request)?.address, server });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    adminKey,
    async stop() {
      await server.stop(true);
      await gateway.stop();
    },
  };
}

if (import.meta.main) {
  const app = await start(3000);
  console.log(`listening on ${app.url}; admin key (shown once): ${app.adminKey}`);
}
