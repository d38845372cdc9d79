import { describe, expect, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { rawConnection, upload } from "./harness/raw-connection.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web UI's sign-in and sign-out read no body. Anyone may call them, so a body sent along must
// be refused as every route refuses one before it is read: a 401 (no credential) that closes the
// connection, never a body read whole into memory, past `server.max_body`, to be answered 400.
const f = gatewayFixture({ fake: null, fakeRoutes: false });

/** Declared far over `server.max_body` (10 MB): one read whole takes all of it. */
const DECLARED = 64 * 1024 * 1024;

const post = (path: string, extra = "") =>
  `POST ${path} HTTP/1.1\r\nHost: gw\r\ncontent-type: application/json\r\ncontent-length: ${DECLARED}\r\n${extra}\r\n`;

describe("the sign-in routes never read a body", () => {
  for (const path of ["/admin/auth/login", "/admin/auth/logout"]) {
    test(`POST ${path} without a credential: a 401 that closes the connection, the body unread`, async () => {
      const connection = await rawConnection(f.gw.port);
      const { socket, state } = connection;
      try {
        socket.write(post(path));
        const taken = await upload(connection, DECLARED);
        await waitFor("the gateway's answer", () => /HTTP\/1\.1 \d\d\d/.test(state.received));
        await waitFor("the gateway to close the socket", () => state.closed);
        expect(state.received).toStartWith("HTTP/1.1 401");
        expect(state.received.toLowerCase()).toContain("connection: close");
        expect(taken).toBeLessThan(DECLARED / 2);
      } finally {
        socket.end();
      }
    });
  }

  test("a sign-in that sends a body anyway (not JSON) signs in: the body is never read", async () => {
    const response = await fetch(f.url("/admin/auth/login"), {
      method: "POST",
      headers: { authorization: `Bearer ${f.adminKey}`, "content-type": "application/json" },
      body: "not json",
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { signedIn: boolean }).signedIn).toBe(true);
  });
});
