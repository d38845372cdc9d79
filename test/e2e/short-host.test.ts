import { describe, expect, test } from "bun:test";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { rawConnection } from "./harness/raw-connection.ts";
import { waitFor } from "./harness/wait-for.ts";

// A proxy that passes the gateway a host of three letters or fewer (nginx's `proxy_pass
// http://gw;` sends `Host: gw`, a Kubernetes service named `mgw` on port 80). Elysia reads a
// request's path from the first "/" at or after index 11 of its URL, so for a path no route of
// Bun's table took, `http://gw/v1/admin/api/keys` was routed as `/admin/api/keys`: the admin API,
// the web UI and /metrics answered under `/v1/`, the one prefix such a proxy lets through.
const f = gatewayFixture({ fake: null, fakeRoutes: false });

const asked = (path: string, host: string) =>
  fetch(f.url(path), { headers: { ...bearer(f.adminKey), host } });

describe("a short Host header routes as any other", () => {
  for (const path of ["/v1/admin/api/keys", "/v1/admin/", "/v1/metrics", "/xx/admin/api/status"]) {
    test(`${path} with Host: gw is no route (404), as with Host: localhost`, async () => {
      for (const host of ["gw", "localhost"]) {
        const response = await asked(path, host);
        expect({ host, status: response.status }).toEqual({ host, status: 404 });
        expect(await response.text()).toContain(`no route for GET ${path}`);
        // Its row has the client's address, read off the server for the request routed.
        const row = await auditRow(f.gw, response.headers.get("x-request-id") ?? "");
        expect({ host, clientIp: row.clientIp }).toEqual({ host, clientIp: "127.0.0.1" });
      }
    });
  }

  test("the web UI's page at /admin/ is served with Host: gw, as with Host: localhost", async () => {
    for (const host of ["gw", "localhost"]) {
      const response = await asked("/admin/", host);
      expect({ host, status: response.status }).toEqual({ host, status: 200 });
    }
  });
});

/** The status line a WebSocket upgrade of `path` under `host` is answered with. */
async function upgradeStatus(path: string, host: string, key: string): Promise<string> {
  const connection = await rawConnection(f.gw.port);
  try {
    connection.socket.write(
      [
        `GET ${path} HTTP/1.1`,
        `Host: ${host}`,
        `Authorization: Bearer ${key}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        "",
        "",
      ].join("\r\n"),
    );
    const head = await waitFor(`the answer to the upgrade of ${path}`, () => {
      const end = connection.state.received.indexOf("\r\n\r\n");
      return end === -1 ? undefined : connection.state.received.slice(0, end);
    });
    return head.split("\r\n")[0] ?? "";
  } finally {
    connection.socket.end();
  }
}

describe("a short Host header upgrades a WebSocket as any other", () => {
  // The request routed by its own path was a new Request, which Bun's server cannot upgrade: the
  // Responses API's socket and the worker tunnel answered 400 "Expected a websocket connection".
  test("GET /v1/responses and /workers/connect with Host: gw switch protocols, as with Host: localhost", async () => {
    const worker = await createKey({ url: f.gw.url, adminKey: f.adminKey }, { name: "w", role: "worker" });
    for (const [path, key] of [
      ["/v1/responses", f.adminKey],
      ["/workers/connect", worker.key],
    ] as const)
      for (const host of ["gw", "localhost"])
        expect({ path, host, status: await upgradeStatus(path, host, key) }).toEqual({
          path,
          host,
          status: "HTTP/1.1 101 Switching Protocols",
        });
  });
});
