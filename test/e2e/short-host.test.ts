import { describe, expect, test } from "bun:test";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";

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
