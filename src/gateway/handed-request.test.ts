import { afterAll, expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { createGateway } from "./create-gateway.ts";

const gateway = await createGateway({
  config: parseConfig({
    storage: { path: ":memory:" },
    auth: { bootstrap_admin: false },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
  }),
  auth: async () => ({
    keyId: null,
    name: "u",
    tenant: "default",
    role: "admin",
    models: ["*"],
    limits: {},
    via: "jwt",
  }),
  logger: silentLogger,
});
afterAll(() => gateway.stop());

const upgrade = (path: string) =>
  new Request(`http://gw${path}`, {
    headers: {
      authorization: "Bearer t",
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    },
  });

test("a WebSocket upgrade handed in without a server is told that, in the caller's dialect, not Elysia's bare 400", async () => {
  for (const path of ["/v1/responses", "/workers/connect"]) {
    const response = await gateway.handle(upgrade(path));
    expect(response.status).toBe(400);
    // It was the text "Expected a websocket connection".
    expect(await response.json()).toEqual({
      error: {
        message: `${path} cannot upgrade to a WebSocket here: the gateway was handed this request without its server, gateway.handle(request, { server }) (docs/EMBEDDING.md §1)`,
        type: "invalid_request_error",
        param: null,
        code: "invalid_request",
      },
    });
  }
  // Any other request that says upgrade is routed as before.
  expect((await gateway.handle(upgrade("/v1/models"))).status).toBe(200);
});
