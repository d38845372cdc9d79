import { afterAll, describe, expect, test } from "bun:test";
import { waitFor } from "../../testing/wait-for.ts";
import { asResponse } from "./feed-response.ts";
import { ConnectionPool } from "./http1/connection-pool.ts";
import { createLeanFetch } from "./http1/lean-fetch.ts";
import { rawServer, servers } from "./http1/testing/raw-server.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

const EVENTS = "data: one\n\ndata: [DONE]\n\n";

describe("asResponse", () => {
  test("a byte feed becomes an event-stream Response with its status, length and bytes; a Response stays itself", async () => {
    const server = rawServer((_request, socket) =>
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${EVENTS.length}\r\n\r\n${EVENTS}`,
      ),
    );
    const lean = createLeanFetch({ fallback: fetch, env: {}, pool: new ConnectionPool() });
    const answer = await lean.stream(`${server.url}/`);
    expect(answer).not.toBeInstanceOf(Response);
    const response = asResponse(answer);
    expect([
      response.status,
      response.headers.get("content-type"),
      response.headers.get("content-length"),
      await response.text(),
    ]).toEqual([200, "text/event-stream", String(EVENTS.length), EVENTS]);
    const plain = new Response("x");
    expect(asResponse(plain)).toBe(plain);
  });

  test("a whole answer becomes a Response with its status, type, Retry-After and bytes", async () => {
    const body = new TextEncoder().encode('{"error":"busy"}');
    const response = asResponse({ status: 429, contentType: "application/json", retryAfter: "2", body });
    expect([
      response.status,
      response.headers.get("content-type"),
      response.headers.get("retry-after"),
      await response.text(),
    ]).toEqual([429, "application/json", "2", '{"error":"busy"}']);
    expect(
      asResponse({ status: 204, contentType: undefined, retryAfter: undefined, body: new Uint8Array(0) })
        .body,
    ).toBeNull();
  });

  test("cancelling the Response closes the feed's connection", async () => {
    const server = rawServer((_request, socket) =>
      socket.write(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 100\r\n\r\ndata: one\n\n",
      ),
    );
    const lean = createLeanFetch({ fallback: fetch, env: {}, pool: new ConnectionPool() });
    const response = asResponse(await lean.stream(`${server.url}/`));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: one\n\n");
    await reader.cancel();
    await waitFor("the server to see the close", () => server.state.closed === 1);
  });
});
