import { afterAll, describe, expect, test } from "bun:test";
import type { WholeAnswer } from "../whole-answer.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { createLeanFetch, type FetchFunction } from "./lean-fetch.ts";
import { ok, rawServer, servers } from "./testing/raw-server.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

function client() {
  const fallbackCalls: string[] = [];
  const fallback: FetchFunction = async (input) => {
    fallbackCalls.push(String(input));
    return new Response("from fallback");
  };
  return { lean: createLeanFetch({ fallback, env: {}, pool: new ConnectionPool() }), fallbackCalls };
}

const whole = (answer: Response | WholeAnswer): WholeAnswer => {
  if (answer instanceof Response) throw new Error("expected a whole answer, got a Response");
  return answer;
};

describe("lean fetch: answer, a whole body as bytes", () => {
  test("status, content type, Retry-After and the body's bytes; the connection is kept for the next call", async () => {
    const server = rawServer((_request, socket, index) =>
      socket.write(
        index === 1
          ? ok("hi", "retry-after: 3\r\n")
          : "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
      ),
    );
    const { lean } = client();
    const first = whole(await lean.answer(`${server.url}/v1/chat`, { method: "POST", body: "{}" }));
    expect([first.status, first.contentType, first.retryAfter]).toEqual([200, "text/plain", "3"]);
    expect(new TextDecoder().decode(first.body)).toBe("hi");
    const second = whole(await lean.answer(`${server.url}/v1/chat`, { method: "POST", body: "{}" }));
    expect([second.status, second.contentType, second.retryAfter]).toEqual([
      201,
      "application/json",
      undefined,
    ]);
    expect(new TextDecoder().decode(second.body)).toBe("{}");
    expect(server.state.connections).toBe(1);
  });

  test("a failure is a Response with every header it came with (retry-after-ms, x-should-retry), its connection kept", async () => {
    const server = rawServer((_request, socket) =>
      socket.write(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 1\r\n" +
          "retry-after-ms: 1200\r\nx-should-retry: true\r\ncontent-length: 2\r\n\r\n{}",
      ),
    );
    const { lean } = client();
    for (const _ of [1, 2]) {
      const answer = await lean.answer(`${server.url}/v1/chat`, { method: "POST", body: "{}" });
      expect(answer).toBeInstanceOf(Response);
      const response = answer as Response;
      expect(response.status).toBe(429);
      expect(
        ["retry-after", "retry-after-ms", "x-should-retry"].map((name) => response.headers.get(name)),
      ).toEqual(["1", "1200", "true"]);
      expect(await response.text()).toBe("{}");
    }
    expect(server.state.connections).toBe(1);
  });

  test("each answer's content type as sent, one seen before or a new one, in any case", async () => {
    const types = [
      "application/json",
      "text/x-one",
      "text/x-two",
      "text/x-one",
      "Application/JSON",
      "application/json",
    ];
    const server = rawServer((_request, socket, index) =>
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: ${types[index - 1]}\r\ncontent-length: 0\r\n\r\n`),
    );
    const { lean } = client();
    const read: (string | undefined)[] = [];
    for (const _ of types) read.push(whole(await lean.answer(`${server.url}/x`)).contentType);
    expect(read).toEqual(types);
  });

  test("a bodyless answer is empty bytes", async () => {
    const server = rawServer((_request, socket) => socket.write("HTTP/1.1 204 No Content\r\n\r\n"));
    const answer = whole(await client().lean.answer(`${server.url}/x`));
    expect([answer.status, answer.body.byteLength]).toEqual([204, 0]);
  });

  test("a body not whole with its head, an event stream or a chunked one is still a streaming Response", async () => {
    const server = rawServer((_request, socket, index) => {
      if (index === 1) {
        socket.write(
          "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 11\r\n\r\ndata: x\n\n",
        );
        socket.write("..");
      } else socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
    });
    const { lean } = client();
    for (const expected of ["data: x\n\n..", "hi"]) {
      const answer = await lean.answer(`${server.url}/x`);
      expect(answer).toBeInstanceOf(Response);
      expect(await (answer as Response).text()).toBe(expected);
    }
  });

  test("a redirect goes to the fallback, as the fetch's own does; a status Response refuses rejects", async () => {
    const server = rawServer((_request, socket, index) =>
      socket.write(
        index === 1
          ? "HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n"
          : "HTTP/1.1 600 Odd\r\ncontent-length: 0\r\n\r\n",
      ),
    );
    const { lean, fallbackCalls } = client();
    const redirected = await lean.answer(`${server.url}/x`);
    expect(await (redirected as Response).text()).toBe("from fallback");
    expect(fallbackCalls).toEqual([`${server.url}/x`]);
    await expect(lean.answer(`${server.url}/y`)).rejects.toThrow();
  });
});
