import { afterAll, expect, test } from "bun:test";
import type { ExportResponse } from "@opentelemetry/otlp-exporter-base";
import { ok, rawServer, servers } from "../../providers/http/http1/testing/raw-server.ts";
import { waitFor } from "../../testing/wait-for.ts";
import { exportClient } from "./export-client.ts";
import { createFetchTransport, USER_AGENT } from "./fetch-transport.ts";

// The transport's default client (the lean HTTP/1.1 client on kept-alive connections of its own)
// against a real loopback receiver whose answers are written byte for byte: what the connection
// does across exports, and the verdicts a receiver that misbehaves gets.

afterAll(() => {
  for (const server of servers) server.stop(true);
});

const BODY = new Uint8Array([10, 3, 1, 2, 3, 200, 255, 0, 13, 10]);

function transportTo(url: string, headers: Record<string, string> = {}) {
  const options = {
    url: `${url}/v1/traces`,
    headers: async () => ({ "Content-Type": "application/x-protobuf", ...headers }),
    compression: "none" as const,
  };
  return createFetchTransport(options, exportClient());
}

const EMPTY_OK = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";

test("exports on one kept-alive connection, each request as fetch frames it, the body's bytes as given", async () => {
  const server = rawServer((_request, socket) => socket.write(EMPTY_OK));
  const transport = transportTo(server.url, { "x-tenant": "blue" });
  const verdicts: ExportResponse[] = [];
  for (let i = 0; i < 3; i++) verdicts.push(await transport.send(BODY, 5000));
  expect(verdicts.map((v) => v.status)).toEqual(["success", "success", "success"]);
  expect(server.state.connections).toBe(1);
  expect(server.state.requests).toHaveLength(3);
  const request = server.state.requests[0] ?? "";
  expect(request.split("\r\n")[0]).toBe("POST /v1/traces HTTP/1.1");
  expect(request).toContain("Content-Type: application/x-protobuf\r\n");
  expect(request).toContain("x-tenant: blue\r\n");
  expect(request).toContain(`User-Agent: ${USER_AGENT}\r\n`);
  expect(request).toContain(`Content-Length: ${BODY.byteLength}\r\n`);
  expect(Buffer.from(request, "latin1").subarray(-BODY.byteLength)).toEqual(Buffer.from(BODY));
  transport.shutdown();
  await waitFor("the idle connection closed at shutdown", () => server.state.closed === 1);
});

test("a receiver that closes each connection after answering: every export still goes, one connection each", async () => {
  const server = rawServer((_request, socket) => {
    socket.write(EMPTY_OK);
    socket.end();
  });
  const transport = transportTo(server.url);
  for (let i = 0; i < 3; i++) {
    expect((await transport.send(BODY, 5000)).status).toBe("success");
    await waitFor("the receiver's close seen", () => server.state.closed === i + 1);
  }
  expect(server.state.connections).toBe(3);
});

test("a kept-alive connection the receiver closed unseen: the export goes again on a new one", async () => {
  const server = rawServer((_request, socket, index) => {
    // The first answer says keep-alive, then the receiver closes at once: the client may not
    // have seen the close when the next export goes out.
    socket.write(EMPTY_OK);
    if (index === 1) socket.end();
  });
  const transport = transportTo(server.url);
  expect((await transport.send(BODY, 5000)).status).toBe("success");
  expect((await transport.send(BODY, 5000)).status).toBe("success");
  expect(server.state.requests).toHaveLength(2);
});

test("a receiver that closes the connection without answering: retryable (ECONNRESET), as the library's", async () => {
  const server = rawServer((_request, socket) => socket.end());
  const verdict = await transportTo(server.url).send(BODY, 5000);
  expect(verdict.status).toBe("retryable");
  expect((verdict as { error?: { code?: string } }).error?.code).toBe("ECONNRESET");
});

test("a receiver that closes mid-answer: retryable (ECONNRESET)", async () => {
  const server = rawServer((_request, socket) => {
    socket.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345");
    socket.end();
  });
  const verdict = await transportTo(server.url).send(BODY, 5000);
  expect(verdict.status).toBe("retryable");
});

test("a 503 with Retry-After: retryable after that long, and the connection kept for the next", async () => {
  const server = rawServer((_request, socket, index) =>
    socket.write(
      index === 1
        ? "HTTP/1.1 503 Service Unavailable\r\nretry-after: 2\r\ncontent-length: 4\r\n\r\nbusy"
        : EMPTY_OK,
    ),
  );
  const transport = transportTo(server.url);
  // With the status, for the export that fails after the retries to name (fetch-transport.ts).
  expect(await transport.send(BODY, 5000)).toMatchObject({
    status: "retryable",
    retryInMillis: 2000,
    error: { message: "Service Unavailable", code: 503, data: "busy" },
  });
  expect((await transport.send(BODY, 5000)).status).toBe("success");
  expect(server.state.connections).toBe(1);
});

test("another status: a failure carrying the status, its reason phrase and the receiver's body", async () => {
  const server = rawServer((_request, socket) =>
    socket.write("HTTP/1.1 400 Bad Request\r\ncontent-length: 8\r\n\r\nbad span"),
  );
  const verdict = await transportTo(server.url).send(BODY, 5000);
  expect(verdict.status).toBe("failure");
  expect((verdict as { error?: unknown }).error).toMatchObject({
    message: "Bad Request",
    code: 400,
    data: "bad span",
  });
});

test("a receiver slower than the timeout: retryable 'Request timed out', its connection closed, the next export on a new one", async () => {
  const server = rawServer((_request, socket, index) => {
    if (index > 1) socket.write(ok(""));
  });
  const transport = transportTo(server.url);
  const verdict = await transport.send(BODY, 100);
  expect(verdict.status).toBe("retryable");
  expect((verdict as { error?: Error }).error?.message).toBe("Request timed out");
  await waitFor("the timed-out connection closed", () => server.state.closed === 1);
  expect((await transport.send(BODY, 5000)).status).toBe("success");
  expect(server.state.connections).toBe(2);
});

test("a request the lean client does not take (a header value fetch sends as Latin-1) goes through fetch", async () => {
  const server = rawServer((_request, socket) => socket.write(EMPTY_OK));
  const verdict = await transportTo(server.url, { "x-name": "café" }).send(BODY, 5000);
  expect(verdict.status).toBe("success");
  expect(server.state.requests).toHaveLength(1);
});

for (const [through, extra] of [
  ["the lean client", {}],
  // A header value fetch sends as Latin-1: the request goes through `directFetch`.
  ["fetch", { "x-name": "café" }],
] as const)
  test(`a receiver that redirects (through ${through}): a failure carrying the 3xx, the export not sent where it leads (its headers may carry the collector's credentials)`, async () => {
    const elsewhere = rawServer((_request, socket) => socket.write(EMPTY_OK));
    for (const status of ["301 Moved Permanently", "307 Temporary Redirect", "308 Permanent Redirect"]) {
      const server = rawServer((_request, socket) =>
        socket.write(
          `HTTP/1.1 ${status}\r\nlocation: ${elsewhere.url}/v1/traces\r\ncontent-length: 0\r\n\r\n`,
        ),
      );
      const verdict = await transportTo(server.url, {
        authorization: "Basic c2VjcmV0",
        "x-api-key": "otlp-secret",
        ...extra,
      }).send(BODY, 5000);
      expect(verdict.status).toBe("failure");
      expect((verdict as { error?: { code?: number } }).error?.code).toBe(Number(status.slice(0, 3)));
      expect(server.state.requests).toHaveLength(1);
    }
    expect(elsewhere.state.requests).toHaveLength(0);
  });
