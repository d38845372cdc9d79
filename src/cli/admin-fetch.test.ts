import { afterEach, describe, expect, test } from "bun:test";
import { keyRoutesGateway } from "../testing/key-routes-gateway.ts";
import { FakeGateway } from "../tui/testing/fake-gateway.ts";
import { adminFetch, GatewayCallError } from "./admin-fetch.ts";
import { EXIT } from "./exit-code.ts";

const gateways: FakeGateway[] = [];

afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});

describe("adminFetch", () => {
  test("answers the admin API's JSON with the key in the header", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    expect(
      await adminFetch(gateway.url, gateway.adminKey, { path: "/admin/api/workers", holds: "workers" }),
    ).toEqual({ workers: [] });
  });

  test("a gateway URL that redirects (a proxy sending http to https) is a usage error naming where it leads: the key never follows it", async () => {
    const gateway = new FakeGateway().start();
    const proxy = new FakeGateway().start();
    gateways.push(gateway, proxy);
    // Another origin (`localhost`, not `127.0.0.1`), as `https://` is: fetch drops the key on the way.
    proxy.redirectTo = `http://localhost:${gateway.port}/admin/api/workers?token=abc`;
    const call = adminFetch(proxy.url, gateway.adminKey, { path: "/admin/api/workers", holds: "workers" });
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayCallError);
    expect([(error as GatewayCallError).message, (error as GatewayCallError).exitCode]).toEqual([
      `${proxy.url} redirects (HTTP 302) to http://localhost:${gateway.port}/admin/api/workers: give --gateway the URL it leads to`,
      EXIT.usage,
    ]);
    expect(gateway.urlsSeen).toEqual([]);
  });

  test("a refusal quotes the gateway's (or a proxy's) words as one printable line, bounded, without the admin key", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    gateway.forceStatus = 403;
    gateway.forcedMessage = `no role for ${gateway.adminKey}\u001b[2J here`;
    const refusal = (): Promise<unknown> =>
      adminFetch(gateway.url, gateway.adminKey, { path: "/admin/api/workers", holds: "workers" }).then(
        () => null,
        (e: unknown) => e,
      );
    const error = await refusal();
    expect(error).toBeInstanceOf(GatewayCallError);
    expect((error as GatewayCallError).message).toBe(
      `admin key refused by ${gateway.url} (HTTP 403): no role for [redacted]\\u001b[2J here`,
    );
    gateway.forcedMessage = "x".repeat(5000);
    expect(((await refusal()) as GatewayCallError).message).toBe(
      `admin key refused by ${gateway.url} (HTTP 403): ${"x".repeat(300)}…`,
    );
  });
});

describe("adminFetch: an admin key refused", () => {
  test("a 401, the gateway's or a proxy's page's, says so as mindgw tail does, without repeating the status", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response("<h1>Sign in</h1>", { status: 401, headers: { "content-type": "text/html" } }),
    });
    try {
      const proxyUrl = `http://127.0.0.1:${proxy.port}`;
      for (const [url, key] of [
        [gateway.url, "mgw_wrong_key_abcdef"],
        [proxyUrl, gateway.adminKey],
      ] as const) {
        const error = await adminFetch(url, key, { path: "/admin/api/workers", holds: "workers" }).then(
          () => null,
          (e: unknown) => e as GatewayCallError,
        );
        // A proxy's page read "gateway refused the admin key (HTTP 401: HTTP 401): …".
        expect([error?.message, error?.exitCode]).toEqual([
          `admin key rejected by ${url} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike`,
          EXIT.usage,
        ]);
      }
    } finally {
      await proxy.stop(true);
    }
  });
});

describe("adminFetch: a gateway's own 404 for a path it has no route for", () => {
  /** What a call failed with. */
  const failure = (call: Promise<unknown>): Promise<GatewayCallError> =>
    call.then(
      () => {
        throw new Error("the call was answered 2xx");
      },
      (e: unknown) => e as GatewayCallError,
    );

  test("the path asked, which a gateway older than this CLI lacks, is the gateway's refusal, asking if it is older; a path before the admin API's is a wrong --gateway", async () => {
    const gw = await keyRoutesGateway();
    try {
      const { port } = gw.gateway.listen("127.0.0.1", 0);
      const url = `http://127.0.0.1:${port}`;
      // It said "--gateway URL serves no /admin/api/keys/someone/limits-v9 …": the right URL, blamed.
      const older = await failure(
        adminFetch(url, gw.adminKey, {
          path: "/admin/api/keys/someone/limits-v9",
          method: "POST",
          body: {},
          holds: "id",
        }),
      );
      expect([older.message, older.exitCode]).toEqual([
        "gateway refused: no route for POST /admin/api/keys/someone/limits-v9 (a gateway older than this mindgw?)",
        EXIT.failure,
      ]);
      const wrong = await failure(
        adminFetch(`${url}/v1`, gw.adminKey, { path: "/admin/api/keys?limit=5", holds: "keys" }),
      );
      // A wrong --gateway is a usage error (2), as one with a query or that redirects; it was 1.
      expect([wrong.message, wrong.exitCode]).toEqual([
        `--gateway ${url}/v1 serves no /admin/api/keys (HTTP 404): give the gateway's URL (with the path a proxy serves it under, if any), not an API's such as …/v1`,
        EXIT.usage,
      ]);
    } finally {
      await gw.stop();
    }
  });
});
