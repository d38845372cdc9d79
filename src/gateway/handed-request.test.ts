import { afterAll, expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { createGateway } from "./create-gateway.ts";

const admin = async () => ({
  keyId: null,
  name: "u",
  tenant: "default",
  role: "admin" as const,
  models: ["*"],
  limits: {},
  via: "jwt" as const,
});
const configWith = (apps: unknown[] = []) =>
  parseConfig({
    storage: { path: ":memory:" },
    auth: { bootstrap_admin: false },
    audit: { flush_ms: 5 },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    apps,
  });
const gateway = await createGateway({ config: configWith(), auth: admin, logger: silentLogger });
// An app mounted at /team: the model APIs are its alone, the root's refused as before.
const mounted = await createGateway({
  config: configWith([{ name: "team", path: "/team", frontdoor: "openai" }]),
  auth: admin,
  logger: silentLogger,
});
afterAll(() => mounted.stop());
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

test("a WebSocket upgrade handed in without a server is told that, in the caller's dialect, not Elysia's bare 400, with its request id and audit row, at an app's path too", async () => {
  const refusals = [
    [gateway, "/v1/responses"],
    [gateway, "/workers/connect"],
    [mounted, "/team/v1/responses"],
  ] as const;
  for (const [handler, path] of refusals) {
    const response = await handler.handle(upgrade(path));
    expect(response.status).toBe(400);
    // It was the text "Expected a websocket connection", and then no x-request-id and no row.
    const message = `${path} cannot upgrade to a WebSocket here: the gateway was handed this request without its server, gateway.handle(request, { server }) (docs/EMBEDDING.md §1)`;
    expect(await response.json()).toEqual({
      error: { message, type: "invalid_request_error", param: null, code: "invalid_request" },
    });
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toStartWith("req_");
    const row = await waitForValue(`the audit row of ${path}`, async () => {
      const read = await handler.handle(new Request("http://localhost/admin/api/audit?limit=1000"));
      const { records } = (await read.json()) as { records: AuditRecord[] };
      return records.find((record) => record.requestId === requestId);
    });
    expect([row.status, row.errorClass, row.errorMessage]).toEqual([400, "invalid_request", message]);
  }
  // Any other request that says upgrade is routed as before.
  expect((await gateway.handle(upgrade("/v1/models"))).status).toBe(200);
  // Where no WebSocket route is (the root's model APIs under apps:), a 404 as before, not the 400.
  const root = await mounted.handle(upgrade("/v1/responses"));
  expect(root.status).toBe(404);
  expect(((await root.json()) as { error: { message: string } }).error.message).toBe(
    "no route for GET /v1/responses: model APIs are served only under the apps mounted at /team (openai)",
  );
});
