import { afterAll, describe, expect, test } from "bun:test";
import { freePort } from "../../../testing/free-port.ts";
import { createLeanFetch } from "./lean-fetch.ts";
import { leanClient } from "./testing/lean-client.ts";
import { ok, rawServer, servers } from "./testing/raw-server.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

describe("lean fetch: requests", () => {
  test("sends method, headers and body as fetch does; answers with status, headers and body", async () => {
    const server = rawServer((_request, socket) =>
      socket.write(ok("hi", "x-upstream: yes\r\nretry-after: 3\r\n")),
    );
    const { fetch } = leanClient();
    const res = await fetch(`${server.url}/v1/chat?x=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k" },
      body: '{"a":"é"}',
    });
    expect([res.status, res.statusText]).toEqual([200, "OK"]);
    expect(res.headers.get("x-upstream")).toBe("yes");
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.text()).toBe("hi");
    const request = server.state.requests[0] ?? "";
    expect(request.split("\r\n")[0]).toBe("POST /v1/chat?x=1 HTTP/1.1");
    expect(request).toContain("content-type: application/json\r\n");
    expect(request).toContain("authorization: Bearer k\r\n");
    expect(request).toContain(`Host: 127.0.0.1:${server.server.port}\r\n`);
    expect(request).toContain("Accept-Encoding: gzip, deflate, br, zstd\r\n");
    expect(request).toContain("Content-Length: 10\r\n");
    expect(Buffer.from(request, "latin1").toString("utf8").endsWith('\r\n\r\n{"a":"é"}')).toBe(true);
  });

  test("each method and each default a caller may give: the head's lines and body are fetch's own", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("")));
    const { fetch: lean } = leanClient();
    const defaults = [
      { "user-agent": "agent/1" },
      { accept: "text/plain" },
      { "accept-encoding": "identity" },
    ];
    const inits: RequestInit[] = [{}, { method: "DELETE" }, { method: "PUT", body: "{}" }];
    for (let given = 0; given < 8; given++) {
      const headers = Object.assign(
        { "x-call": String(given) },
        ...defaults.filter((_, k) => given & (1 << k)),
      );
      inits.push({ method: "POST", headers, body: '{"a":1}' });
    }
    // The head's lines as a set, names in lower case: `fetch` writes a given `user-agent` as
    // `User-Agent` where the lean client keeps the caller's spelling, and they order lines apart.
    const lines = (request: string) =>
      request
        .split("\r\n")
        .map((line) => line.replace(/^[^ :]+:/, (name) => name.toLowerCase()))
        .sort();
    for (const init of inits) {
      await (await fetch(`${server.url}/p?q=1`, init)).text();
      await (await lean(`${server.url}/p?q=1`, init)).text();
      const [sent, leanSent] = server.state.requests.slice(-2);
      expect(lines(leanSent ?? "")).toEqual(lines(sent ?? ""));
    }
  });

  test("leaves to the fallback what it does not handle exactly as fetch", async () => {
    // The fallback answers each of these: nothing listens at the port, the proxy's or the upstream's.
    const port = freePort();
    const { fetch, fallbackCalls } = leanClient();
    await fetch(`https://127.0.0.1:${port}/x`);
    await fetch(`http://127.0.0.1:${port}/a/../b`);
    await fetch(`http://LOCALHOST:${port}/x`);
    await fetch(`http://127.0.0.1:${port}/x`, { method: "POST", body: "x", redirect: "manual" });
    await fetch(`http://127.0.0.1:${port}/x`, { headers: { "content-length": "3" } });
    await fetch(`http://127.0.0.1:${port}/x`, { headers: { "x-bad": "a\r\nb" } });
    expect(fallbackCalls).toHaveLength(6);
    const proxied = createLeanFetch({
      fallback: async () => new Response("proxied"),
      env: { HTTP_PROXY: `http://127.0.0.1:${freePort()}` },
    });
    expect(await (await proxied(`http://127.0.0.1:${port}/x`)).text()).toBe("proxied");
  });

  test("a redirect goes to the fallback, which follows it as fetch does", async () => {
    const server = rawServer((_request, socket) =>
      socket.write("HTTP/1.1 307 Temporary Redirect\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n"),
    );
    const { fetch, fallbackCalls } = leanClient();
    expect(await (await fetch(`${server.url}/x`, { method: "POST", body: "{}" })).text()).toBe(
      "from fallback",
    );
    expect(fallbackCalls).toEqual([`${server.url}/x`]);
  });

  test("a client that follows no redirect answers with it, whole or streamed, sent once; the connection goes on", async () => {
    const server = rawServer((_request, socket, index) =>
      socket.write(
        index <= 3
          ? "HTTP/1.1 308 Permanent Redirect\r\nlocation: http://elsewhere.test/v1\r\ncontent-length: 5\r\n\r\nmoved"
          : ok("after"),
      ),
    );
    const { fetch, fallbackCalls } = leanClient(undefined, false);
    const init = { method: "POST", body: "{}" };
    for (const answer of [
      await fetch(`${server.url}/x`, init),
      await fetch.answer(`${server.url}/x`, init),
      await fetch.stream(`${server.url}/x`, init),
    ]) {
      const response = answer as Response;
      expect([response.status, response.headers.get("location"), await response.text()]).toEqual([
        308,
        "http://elsewhere.test/v1",
        "moved",
      ]);
    }
    expect(await (await fetch(`${server.url}/x`, init)).text()).toBe("after");
    expect([server.state.requests.length, server.state.connections, fallbackCalls]).toEqual([4, 1, []]);
  });

  test("a whole 300 is answered as a redirect is, its Location with it (not a plain answer without it)", async () => {
    const server = rawServer((_request, socket) =>
      socket.write(
        "HTTP/1.1 300 Multiple Choices\r\nlocation: http://elsewhere.test/v1\r\ncontent-length: 5\r\n\r\nmoved",
      ),
    );
    const { fetch } = leanClient(undefined, false);
    const answer = await fetch.answer(`${server.url}/x`, { method: "POST", body: "{}" });
    expect(answer).toBeInstanceOf(Response);
    expect([answer.status, (answer as Response).headers.get("location")]).toEqual([
      300,
      "http://elsewhere.test/v1",
    ]);
  });
});

describe("lean fetch: framing", () => {
  test("heads whose lines end in a bare LF are read as fetch reads them, and the connection goes on", async () => {
    const answers = [
      // Every line a bare LF; the body holds a CRLF CRLF of its own.
      "HTTP/1.1 200 OK\ncontent-type: text/plain\nx-kind: lf\ncontent-length: 6\n\na\r\n\r\nb",
      // Only the status line; then a blank line after a bare LF ("\n\r\n").
      "HTTP/1.1 201 Created\ncontent-length: 2\r\nx-kind: mixed\n\r\nok",
      // An event stream split inside its head, bare LF throughout.
      "HTTP/1.1 200 OK\ncontent-type: text/event-stream\ntransfer-encoding: chunked\n",
      "\n5\r\ndata:\r\n0\r\n\r\n",
      ok("crlf"),
    ];
    const server = rawServer((_request, socket, index) => {
      if (index === 3) {
        socket.write(answers[2] as string);
        // stimulus: the rest of the head a moment later, so the client reads the head in two parts
        setTimeout(() => socket.write(answers[3] as string), 20);
      } else socket.write(answers[index === 4 ? 4 : index - 1] as string);
    });
    const { fetch } = leanClient();
    const first = await fetch(`${server.url}/1`);
    expect([first.status, first.headers.get("x-kind"), await first.text()]).toEqual([
      200,
      "lf",
      "a\r\n\r\nb",
    ]);
    const second = await fetch(`${server.url}/2`);
    expect([second.status, second.statusText, second.headers.get("x-kind"), await second.text()]).toEqual([
      201,
      "Created",
      "mixed",
      "ok",
    ]);
    const third = await fetch(`${server.url}/3`);
    expect([third.headers.get("content-type"), await third.text()]).toEqual(["text/event-stream", "data:"]);
    expect(await (await fetch(`${server.url}/4`)).text()).toBe("crlf");
    expect(server.state.connections).toBe(1);
  });

  test("several answers on one kept-alive connection: length, chunked with trailers, no body", async () => {
    const server = rawServer((request, socket, index) => {
      if (index === 1) socket.write(ok("first"));
      else if (index === 2)
        socket.write(
          "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\nx-sum: 1\r\n\r\n",
        );
      else if (request.startsWith("HEAD")) socket.write("HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n");
      else socket.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
    });
    const { fetch } = leanClient();
    expect(await (await fetch(`${server.url}/1`)).text()).toBe("first");
    expect(await (await fetch(`${server.url}/2`)).text()).toBe("second");
    const head = await fetch(`${server.url}/3`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length"), await head.text()]).toEqual([200, "1234", ""]);
    const empty = await fetch(`${server.url}/4`, { method: "DELETE" });
    expect([empty.status, empty.body]).toEqual([204, null]);
    expect(server.state.connections).toBe(1);
  });

  test("a 304 has no body whatever its length says; the next answer on the connection is read right", async () => {
    const server = rawServer((_request, socket, index) =>
      socket.write(index === 1 ? "HTTP/1.1 304 Not Modified\r\ncontent-length: 50\r\n\r\n" : ok("next")),
    );
    const { fetch } = leanClient();
    const first = await fetch(`${server.url}/`);
    expect([first.status, first.body]).toEqual([304, null]);
    expect(await (await fetch(`${server.url}/`)).text()).toBe("next");
    expect(server.state.connections).toBe(1);
  });

  test("a chunked body split at every byte streams whole", async () => {
    const wire =
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\nb;ext=1\r\n, streaming\r\n0\r\n\r\n";
    const server = rawServer(async (_request, socket) => {
      for (const byte of wire) {
        socket.write(byte);
        socket.flush();
        await Bun.sleep(0); // stimulus: one byte a turn, so the client reads them apart
      }
    });
    const { fetch } = leanClient();
    expect(await (await fetch(`${server.url}/`)).text()).toBe("hello, streaming");
    expect(await (await fetch(`${server.url}/`)).text()).toBe("hello, streaming");
    expect(server.state.connections).toBe(1);
  });

  test("a body without length runs to the connection's end, which is not reused", async () => {
    const server = rawServer((_request, socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end");
      socket.end();
    });
    const { fetch } = leanClient();
    expect(await (await fetch(`${server.url}/`)).text()).toBe("until the end");
    expect(await (await fetch(`${server.url}/`)).text()).toBe("until the end");
    expect(server.state.connections).toBe(2);
  });

  test("Connection: close is honoured", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("bye", "connection: close\r\n")));
    const { fetch } = leanClient();
    expect(await (await fetch(`${server.url}/`)).text()).toBe("bye");
    expect(await (await fetch(`${server.url}/`)).text()).toBe("bye");
    expect(server.state.connections).toBe(2);
  });

  test("a gzip body is decoded, its headers kept, as fetch does", async () => {
    const packed = Bun.gzipSync(new TextEncoder().encode('{"a":1}'));
    const server = rawServer((_request, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: ${packed.length}\r\n\r\n`);
      socket.write(packed);
    });
    const { fetch } = leanClient();
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(await res.json()).toEqual({ a: 1 });
  });
});
