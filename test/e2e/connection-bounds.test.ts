import { describe, expect, test } from "bun:test";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { gatewayIdle } from "./harness/gateway-idle.ts";
import { type RawConnection, rawConnection as rawConnectionTo, upload } from "./harness/raw-connection.ts";
import { waitFor } from "./harness/wait-for.ts";

// What one client can hold open: idle sockets, trickled bodies, many requests at once. The idle
// bound is the least there is (5 s): Bun's timer ticks every 4 s, and a bound of one tick closes
// a socket at the next tick whatever is written (config-floors.test.ts).
const f = gatewayFixture({
  config: {
    server: { idle_timeout: "5s", body_timeout: "2s", max_client_requests: 2 },
    routing: { retries: 0, stream_keepalive: "200ms" },
  },
});

const rawConnection = (port = f.gw.port) => rawConnectionTo(port);

const head = (length: number, extra = "") =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n${extra}\r\n`;

describe("connection bounds", () => {
  test("an unauthenticated socket that declares a body and goes quiet is answered and closed", async () => {
    const { socket, state } = await rawConnection();
    try {
      socket.write(`${head(100)}{`);
      await waitFor("the 401", () => state.received.includes("401"));
      await waitFor("the gateway to close the socket", () => state.closed, 10_000);
    } finally {
      socket.end();
    }
  });

  // A refusal answered before the body is read leaves the body unread: with the connection kept,
  // the server read (and threw away) every byte the client sent, however many, and served the
  // next request on the same socket. These declare 64 MB: a gateway that closes takes what the
  // socket buffers hold; one that reads on takes all 64.
  const DECLARED = 64 * 1024 * 1024;

  test("a body declared over max_body is a 413 that closes the connection: the rest is never read", async () => {
    const connection = await rawConnection();
    const { socket, state } = connection;
    try {
      socket.write(head(DECLARED, `authorization: Bearer ${f.adminKey}\r\n`));
      await waitFor("the 413", () => state.received.includes("413"));
      expect(state.received.toLowerCase()).toContain("connection: close");
      expect(state.received).toContain("payload_too_large");
      const taken = await upload(connection, DECLARED);
      await waitFor("the gateway to close the socket", () => state.closed);
      expect(taken).toBeLessThan(DECLARED / 2);
      expect(state.received.match(/HTTP\/1\.1 /g)?.length).toBe(1);
    } finally {
      socket.end();
    }
  });

  test("an unauthenticated body is a 401 that closes the connection before the body is read", async () => {
    const connection = await rawConnection();
    const { socket, state } = connection;
    try {
      // Within max_body: refused for the missing key alone.
      socket.write(head(5 * 1024 * 1024));
      await waitFor("the 401", () => state.received.includes("401"));
      expect(state.received.toLowerCase()).toContain("connection: close");
      await upload(connection, 5 * 1024 * 1024);
      // The next request on the socket is never served: the gateway closed it.
      if (!state.closed) socket.write("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n");
      await waitFor("the gateway to close the socket", () => state.closed);
      expect(state.received.match(/HTTP\/1\.1 /g)?.length).toBe(1);
    } finally {
      socket.end();
    }
  });

  test("an unauthenticated body declared over max_body is closed unread too", async () => {
    const connection = await rawConnection();
    const { socket, state } = connection;
    try {
      socket.write(head(DECLARED));
      await waitFor("the refusal", () => /HTTP\/1\.1 4\d\d/.test(state.received));
      expect(state.received.toLowerCase()).toContain("connection: close");
      const taken = await upload(connection, DECLARED);
      await waitFor("the gateway to close the socket", () => state.closed);
      expect(taken).toBeLessThan(DECLARED / 2);
    } finally {
      socket.end();
    }
  });

  test("a body trickled slower than body_timeout is a 408, audited as such", async () => {
    const { socket, state } = await rawConnection();
    const requestId = "trickle-1";
    const body = chatBody("fake-model", "x".repeat(200));
    socket.write(head(body.length, `authorization: Bearer ${f.adminKey}\r\nx-request-id: ${requestId}\r\n`));
    // One byte every 300 ms: never idle for the idle bound, always short of the whole body.
    let sent = 0;
    const trickle = setInterval(() => {
      if (!state.closed && sent < body.length) socket.write(body[sent++] ?? "");
    }, 300);
    try {
      await waitFor("the 408", () => state.received.includes("408"), 10_000);
      expect((await auditRow(f.gw, requestId)).status).toBe(408);
    } finally {
      clearInterval(trickle);
      socket.end();
    }
  });

  test("a client that hangs up mid-upload is a client that left (499), not a 500", async () => {
    const { socket } = await rawConnection();
    const requestId = "hangup-1";
    socket.write(
      `${head(5000, `authorization: Bearer ${f.adminKey}\r\nx-request-id: ${requestId}\r\n`)}{"model":`,
    );
    await waitFor("the request to be in flight", async () => {
      const res = await fetch(f.url("/admin/api/status"), { headers: bearer(f.adminKey) });
      return ((await res.json()) as { inFlight?: number }).inFlight === 2; // this one and the status call
    });
    socket.terminate();
    const row = await auditRow(f.gw, requestId);
    expect(row.status).toBe(499);
    expect(f.gw.stderr.all).not.toContain("internal error");
  });

  test("one address cannot hold more than max_client_requests requests at once", async () => {
    const streams = await Promise.all(
      [1, 2].map(() =>
        fetch(f.url("/v1/chat/completions"), {
          method: "POST",
          headers: bearer(f.adminKey),
          body: chatBody("fake-model", "long [[fake:chunks=20,chunkDelay=200]]", { stream: true }),
        }),
      ),
    );
    try {
      const third = await fetch(f.url("/v1/chat/completions"), {
        method: "POST",
        headers: bearer(f.adminKey),
        body: chatBody("fake-model"),
      });
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toBe("1");
      expect(((await third.json()) as { error: { message: string } }).error.message).toContain(
        "max_client_requests",
      );
    } finally {
      for (const stream of streams) await stream.body?.cancel();
    }
    await waitFor("a slot to free up", async () => {
      const again = await fetch(f.url("/v1/chat/completions"), {
        method: "POST",
        headers: bearer(f.adminKey),
        body: chatBody("fake-model"),
      });
      return again.status === 200;
    });
  });
});

describe("a refusal under load (max_client_requests) before the body is read", () => {
  /** Holds this address's two slots with two streams while `refused` runs on a raw connection. */
  async function whileFull(refused: (connection: RawConnection) => Promise<void>) {
    const streams = await Promise.all(
      [1, 2].map(() =>
        fetch(f.url("/v1/chat/completions"), {
          method: "POST",
          headers: bearer(f.adminKey),
          body: chatBody("fake-model", "long [[fake:chunks=20,chunkDelay=200]]", { stream: true }),
        }),
      ),
    );
    const connection = await rawConnection();
    try {
      await refused(connection);
    } finally {
      connection.socket.end();
      for (const stream of streams) await stream.body?.cancel();
      // The streams' slots are the next test's once the gateway has seen them end.
      await gatewayIdle(f.gw.url, f.adminKey);
    }
  }

  test("a small body, come with its head, keeps its connection: the next request on it is served", async () => {
    await whileFull(async ({ socket, state }) => {
      const body = chatBody("fake-model");
      socket.write(`${head(Buffer.byteLength(body), `authorization: Bearer ${f.adminKey}\r\n`)}${body}`);
      await waitFor("the 429", () => state.received.includes("429"));
      expect(state.received.toLowerCase()).not.toContain("connection: close");
      socket.write("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n");
      await waitFor(
        "the next answer on the same connection",
        () => state.received.match(/HTTP\/1\.1 /g)?.length === 2,
      );
      expect(state.received).toMatch(/HTTP\/1\.1 200/);
      expect(state.closed).toBe(false);
    });
  });

  test("a chunked body closes it: what the client goes on sending is never read", async () => {
    await whileFull(async ({ socket, state }) => {
      socket.write(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\ncontent-type: application/json\r\n" +
          `authorization: Bearer ${f.adminKey}\r\ntransfer-encoding: chunked\r\n\r\n1\r\n{\r\n`,
      );
      await waitFor("the 429", () => state.received.includes("429"));
      expect(state.received.toLowerCase()).toContain("connection: close");
      await waitFor("the gateway to close the socket", () => state.closed);
    });
  });
});

describe("an answer for no route, given before the body is read", () => {
  // Anyone may send any method to any path: a 404, a 405 or OPTIONS's 204 to a large body, kept
  // alive, had Bun read on all the client sent (unauthenticated, any amount) to reach the next request.
  const DECLARED = 64 * 1024 * 1024;
  for (const [method, path, status] of [
    ["POST", "/no/such/path", 404],
    ["PUT", "/v1/chat/completions", 405],
    ["OPTIONS", "/v1/chat/completions", 204],
  ] as const) {
    test(`${method} ${path} declaring 64 MB: ${status}, the connection closed, the body unread`, async () => {
      const connection = await rawConnection();
      const { socket, state } = connection;
      try {
        // A host of four characters or more: Elysia finds the path of a shorter one in the wrong place.
        socket.write(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\ncontent-length: ${DECLARED}\r\n\r\n`);
        const taken = await upload(connection, DECLARED);
        await waitFor("the gateway to close the socket", () => state.closed);
        expect(state.received).toStartWith(`HTTP/1.1 ${status}`);
        expect(state.received.toLowerCase()).toContain("connection: close");
        expect(taken).toBeLessThan(DECLARED / 2);
      } finally {
        socket.end();
      }
    });
  }
});

describe("a connection after a stream", () => {
  // A stream's socket is held past idle_timeout while its upstream thinks (the attempt timeouts);
  // once the answer is out, the connection idles under idle_timeout again.
  test.each([
    [
      "relayed as it comes",
      "long [[fake:chunks=4,chunkDelay=50]]",
      (received: string) => received.endsWith("0\r\n\r\n"),
    ],
    [
      "kept alive before its first token",
      "slow [[fake:delay=500]]",
      (received: string) => received.includes(": keep-alive") && received.endsWith("0\r\n\r\n"),
    ],
    [
      "answered whole (its end in the first read)",
      "short",
      (received: string) => received.includes("data: [DONE]\n\n"),
    ],
    ["refused by its upstream", "no [[fake:status=400]]", (received: string) => received.includes('"error"')],
  ])("%s: idle for idle_timeout, then closed", async (_, text, answered) => {
    const { socket, state } = await rawConnection();
    try {
      const body = chatBody("fake-model", text, { stream: true });
      socket.write(`${head(Buffer.byteLength(body), `authorization: Bearer ${f.adminKey}\r\n`)}${body}`);
      await waitFor("the answer", () => answered(state.received));
      expect(state.closed).toBe(false);
      // Bun's timer ticks every 4 s: a 5 s bound closes an idle socket within 9 s.
      await waitFor("the gateway to close the idle connection", () => state.closed, 15_000);
    } finally {
      socket.end();
    }
  });

  test("the event stream (held for its keep-alives past idle_timeout), ended by its key's revoke: idle for idle_timeout, then closed", async () => {
    const watcher = await createKey(f.gw, { name: "idle-watcher", role: "admin" });
    const { socket, state } = await rawConnection();
    try {
      socket.write(
        `GET /admin/api/events HTTP/1.1\r\nHost: gw\r\nauthorization: Bearer ${watcher.key}\r\n\r\n`,
      );
      await waitFor("the stream's head", () => state.received.includes("\r\n\r\n"));
      expect(state.received).toStartWith("HTTP/1.1 200");
      const revoked = await fetch(f.url(`/admin/api/keys/${watcher.id}/revoke`), {
        method: "POST",
        headers: bearer(f.adminKey),
      });
      expect(revoked.status).toBe(200);
      await waitFor("the stream's end", () => state.received.endsWith("0\r\n\r\n"));
      expect(state.closed).toBe(false);
      // Held for the stream, the socket's bound is idle_timeout + 15 s (20 s); given back, 5 s,
      // which Bun's 4 s tick closes within 9 s. Before: open past the deadline.
      await waitFor("the gateway to close the idle connection", () => state.closed, 15_000);
    } finally {
      socket.end();
    }
  });
});

describe("behind a load balancer (server.trusted_proxies)", () => {
  const ask = (url: string, key: string, forwardedFor: string, text = "hello there", stream = false) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-forwarded-for": forwardedFor },
      body: chatBody("fake-model", text, stream ? { stream: true } : {}),
    });

  test("from a listed proxy, the client its X-Forwarded-For names: its own audit rows and its own slots", async () => {
    // The tests' requests all come from 127.0.0.1: here it stands for the load balancer.
    const config = fakeRoutesConfig(f.fake.url, ["fake-model"], {
      server: { max_client_requests: 1, trusted_proxies: ["127.0.0.1"] },
    });
    const gw = await f.spawn({ config });
    const key = gw.adminKey ?? "";
    const holding = await ask(gw.url, key, "203.0.113.1", "long [[fake:chunks=20,chunkDelay=200]]", true);
    try {
      expect(holding.status).toBe(200);
      // Another client behind the same balancer has a slot of its own.
      const other = await ask(gw.url, key, "203.0.113.2");
      expect(other.status).toBe(200);
      const row = await auditRow(gw, other.headers.get("x-request-id") ?? "");
      expect(row.clientIp).toBe("203.0.113.2");
      // The first client's second request is over its cap, whatever it wrote before its address.
      for (const forwardedFor of ["203.0.113.1", "198.51.100.7, 203.0.113.1"]) {
        const again = await ask(gw.url, key, forwardedFor);
        expect([forwardedFor, again.status]).toEqual([forwardedFor, 429]);
        await again.arrayBuffer();
      }
    } finally {
      await holding.body?.cancel();
    }
  });

  test("from anyone else, X-Forwarded-For is ignored: the socket's peer", async () => {
    const response = await ask(f.gw.url, f.adminKey, "203.0.113.9");
    expect(response.status).toBe(200);
    const row = await auditRow(f.gw, response.headers.get("x-request-id") ?? "");
    expect(row.clientIp).toBe("127.0.0.1");
  });
});
