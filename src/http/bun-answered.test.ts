import { afterAll, beforeAll, expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { createLogger } from "../log/logger.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { waitForValue } from "../testing/wait-for.ts";

// What Bun's HTTP parser answers before any handler of ours runs (docs/OBSERVABILITY.md, "What
// Bun answers itself"): a request it cannot parse is answered by Bun and reaches no code of ours,
// so it leaves no audit row and no line; a chunked body it finds malformed mid-read reaches the
// handler, whose read fails as a hang-up's does (Bun's error is the same AbortError): a 499 row.

const finished: AuditRecord[] = [];
const logged: string[] = [];
let gateway: Gateway;
let port = 0;

beforeAll(async () => {
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
    auth: async () => jwtCaller,
    logger: createLogger({ format: "json", write: (line) => logged.push(line) }),
    events: [{ publish: (event) => void (event.type === "request.finished" && finished.push(event.record)) }],
  });
  port = gateway.listen("127.0.0.1", 0).port;
});
afterAll(() => gateway.stop());

/** Writes `raw` on a new connection: what came back once the gateway (or Bun) closed it. */
async function exchange(raw: string): Promise<string> {
  let received = "";
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, data) {
        received += data.toString();
      },
      close: () => resolve(),
      error: () => resolve(),
    },
  });
  socket.write(raw);
  await waitForValue("the connection closed", () => closed.then(() => true), 10_000);
  socket.end();
  return received;
}

const HEAD = "Host: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nConnection: close\r\n";

test("requests Bun cannot parse are answered by Bun alone: no row, no line", async () => {
  const refused = {
    "a malformed request line": ["GARBAGE\r\n\r\n", "400"],
    "a header line without a colon": [`GET /v1/models HTTP/1.1\r\n${HEAD}Broken\r\n\r\n`, "400"],
    "a control character in a header": [`GET /v1/models HTTP/1.1\r\n${HEAD}X-A: a\x01b\r\n\r\n`, "400"],
    "headers over Bun's limit": [
      `GET /v1/models HTTP/1.1\r\n${HEAD}X-A: ${"a".repeat(20_000)}\r\n\r\n`,
      "431",
    ],
    "an unknown HTTP version": [`GET /v1/models HTTP/9.9\r\n${HEAD}\r\n`, "505"],
    "a Content-Length that is no number": [
      `POST /v1/chat/completions HTTP/1.1\r\n${HEAD}Content-Length: x\r\n\r\n`,
      "400",
    ],
    "no Host in HTTP/1.1": ["GET /v1/models HTTP/1.1\r\n\r\n", "400"],
  } as const;
  for (const [what, [raw, status]] of Object.entries(refused))
    expect({ what, answer: (await exchange(raw)).split("\r\n")[0] }).toEqual({
      what,
      answer: expect.stringMatching(new RegExp(`^HTTP/1\\.1 ${status} `)),
    });
  // A request Bun parses, after them: its row is the first and only one.
  const answer = await exchange(`GET /v1/models HTTP/1.1\r\n${HEAD}\r\n`);
  expect(answer).toStartWith("HTTP/1.1 200 ");
  await waitForValue("the row", () => finished.length > 0);
  expect(finished.map((row) => row.frontDoor)).toEqual(["models"]);
  expect(logged.filter((line) => JSON.parse(line).msg === "request")).toHaveLength(1);
  finished.length = 0;
  logged.length = 0;
});

test("a chunked body Bun finds malformed mid-read is answered 400 by Bun and recorded as the hang-up it reads as (499)", async () => {
  const raw = `POST /v1/chat/completions HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\nZZ\r\nabc\r\n0\r\n\r\n`;
  expect(await exchange(raw)).toStartWith("HTTP/1.1 400 ");
  const row = await waitForValue("the row", () => finished[0]);
  expect(row).toMatchObject({ frontDoor: "chat", status: 499, errorClass: "client_closed" });
  const line = await waitForValue("the line", () =>
    logged.map((said) => JSON.parse(said) as Record<string, unknown>).find((said) => said.msg === "request"),
  );
  expect(line).toMatchObject({ request_id: row.requestId, status: 499, reason: "client closed the request" });
});
