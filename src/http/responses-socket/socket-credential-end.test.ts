import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { AUDIENCE, ISSUER, sign } from "../../auth/jwt-test-kit.ts";
import { parseConfig } from "../../config/load-config.ts";
import { callAs, recordingGateway } from "../../testing/recording-gateway.ts";
import { waitFor, waitForValue } from "../../testing/wait-for.ts";

// An open Responses WebSocket whose credential ends is closed (1008) with a reason in the words of
// that credential, as a stream's closing error event and a worker's `rejected` say it: a JWT's
// "the token expired", never "the key was expired" for a caller that has no key. Through the real
// gateway on a loopback port.

const dir = mkdtempSync(join(tmpdir(), "mindgw-socket-end-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = "a-test-hmac-secret-of-32-characters!";

/** A socket opened with `token`: whether it is open, and its close's code and reason, each waited for. */
function opened(port: number, token: string) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/responses`, {
    headers: { authorization: `Bearer ${token}` },
  });
  let open = false;
  let closed: { code: number; reason: string } | undefined;
  socket.on("open", () => {
    open = true;
  });
  socket.on("close", (code, reason) => {
    closed = { code, reason: String(reason) };
  });
  return {
    open: () => waitFor("the socket to open", () => open),
    closed: () => waitForValue("the socket to close", () => closed, 10_000),
  };
}

test("a JWT's socket closes at the token's expiry saying the token expired; a key's at its revoke saying the API key was revoked", async () => {
  const { gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      auth: {
        jwt: {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ["HS256"],
          secret: SECRET,
          clock_tolerance: "0s",
        },
      },
    }),
  );
  try {
    const { port } = gateway.listen("127.0.0.1", 0);
    // A token with two seconds left: its socket closes when they run out.
    const token = await sign(
      new TextEncoder().encode(SECRET),
      { alg: "HS256" },
      { exp: Math.floor(Date.now() / 1000) + 2 },
    );
    const jwt = opened(port, token);
    await jwt.open();
    expect(await jwt.closed()).toEqual({ code: 1008, reason: "the token expired" });

    const created = await callAs(gateway, adminKey, "POST", "/admin/api/keys", { name: "socket-user" });
    const { id, key } = (await created.json()) as { id: string; key: string };
    const keyed = opened(port, key);
    await keyed.open();
    const revoke = await gateway.handle(
      new Request(`http://localhost/admin/api/keys/${id}/revoke`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}` },
      }),
    );
    expect(revoke.status).toBe(200);
    expect(await keyed.closed()).toEqual({ code: 1008, reason: "the API key was revoked" });
  } finally {
    await gateway.stop();
  }
});
