import { afterAll, beforeAll, expect, spyOn, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import type { ResponseChain } from "../storage/response-store.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { waitFor } from "../testing/wait-for.ts";
import { InFlightResponses } from "./in-flight-responses.ts";

// A stored response read while it is still being answered: OpenAI's object as its
// `response.created` event said it (status `in_progress`), to its own scope alone; then the whole
// one once stored. The gateway in process on a chat upstream whose stream stops half-way until
// the test lets it finish.

let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let finish = Promise.withResolvers<void>();
/** The upstream's stream ends where it was held, cut off: no finish, no `[DONE]`. */
let breaksOff = false;

const encoder = new TextEncoder();
const chunk = (delta: object, finishReason: string | null = null) =>
  encoder.encode(
    `data: ${JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    })}\n\n`,
  );

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => {
      const held = finish.promise;
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(chunk({ role: "assistant", content: "hel" }));
          await held;
          if (breaksOff) return controller.close();
          controller.enqueue(chunk({ content: "lo" }, "stop"));
          controller.enqueue(encoder.encode("data: [DONE]\n\n"));
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "up", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
      models: [{ name: "m", routes: [{ provider: "up", model: "m" }] }],
    }),
    // Each bearer token is a caller of its own, outside every tenant.
    auth: async (headers) => ({
      keyId: headers.get("authorization") ?? "none",
      name: "app",
      tenant: "default",
      role: "user",
      models: ["*"],
      limits: {},
      via: "key",
    }),
    logger: silentLogger,
  });
});

afterAll(async () => {
  finish.resolve();
  await gateway.stop();
  upstream.stop(true);
});

const call = (token: string, method: "GET" | "POST", path: string, body?: object) =>
  gateway.handle(
    new Request(`http://gw${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
  );

/** Reads the stream until its first text delta has come; what it read, and the reader to go on. */
async function readUntilDelta(response: Response) {
  const reader = response.body?.getReader();
  if (!reader) throw new Error("no body");
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("response.output_text.delta")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended early: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return { text, reader };
}

test("a streamed response read before its end is OpenAI's object in_progress, its caller's alone; whole once stored", async () => {
  finish = Promise.withResolvers<void>();
  const streaming = await call("one", "POST", "/v1/responses", { model: "m", input: "hi", stream: true });
  expect(streaming.status).toBe(200);
  const { text, reader } = await readUntilDelta(streaming);
  const id = /"id":"(resp_[^"]+)"/.exec(text)?.[1];
  if (!id) throw new Error(`no response id in ${text}`);

  const during = await call("one", "GET", `/v1/responses/${id}`);
  expect(during.status).toBe(200);
  expect(await during.json()).toMatchObject({
    id,
    object: "response",
    status: "in_progress",
    model: "m",
    output: [],
    usage: null,
  });
  // Another caller's id answers as an unknown one, while in flight as once stored.
  expect((await call("two", "GET", `/v1/responses/${id}`)).status).toBe(404);

  finish.resolve();
  while (!(await reader.read()).done) {}
  const after = await call("one", "GET", `/v1/responses/${id}`);
  expect(await after.json()).toMatchObject({ id, status: "completed" });
});

test("a response asked store: false is never readable, in flight or after", async () => {
  finish = Promise.withResolvers<void>();
  const streaming = await call("one", "POST", "/v1/responses", {
    model: "m",
    input: "hi",
    stream: true,
    store: false,
  });
  const { text, reader } = await readUntilDelta(streaming);
  const id = /"id":"(resp_[^"]+)"/.exec(text)?.[1];
  if (!id) throw new Error(`no response id in ${text}`);
  expect((await call("one", "GET", `/v1/responses/${id}`)).status).toBe(404);
  finish.resolve();
  while (!(await reader.read()).done) {}
  expect((await call("one", "GET", `/v1/responses/${id}`)).status).toBe(404);
});

test("a stream that fails before its end is not left in flight: its id reads as the failed response it ended with", async () => {
  finish = Promise.withResolvers<void>();
  breaksOff = true;
  try {
    const streaming = await call("one", "POST", "/v1/responses", { model: "m", input: "hi", stream: true });
    const { text, reader } = await readUntilDelta(streaming);
    const id = /"id":"(resp_[^"]+)"/.exec(text)?.[1];
    if (!id) throw new Error(`no response id in ${text}`);
    expect((await call("one", "GET", `/v1/responses/${id}`)).status).toBe(200);
    finish.resolve();
    let rest = "";
    for (let read = await reader.read(); !read.done; read = await reader.read())
      rest += new TextDecoder().decode(read.value);
    expect(rest).toContain("response.failed");
    // Stored as OpenAI keeps a failed response (failed-response-read.test.ts), its stream not
    // waiting for the row, and read as failed from its last event on, the row written or not.
    const read = await call("one", "GET", `/v1/responses/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, status: "failed" });
  } finally {
    breaksOff = false;
  }
});

test("a client that leaves while the store reads the chain it continues leaves nothing in flight once the read ends", async () => {
  const sqlite = openSqliteStorage(":memory:");
  /** Set by the test: the next chain read waits for it. */
  let held: Promise<void> | undefined;
  let reading = false;
  const finished: AuditRecord[] = [];
  const leaky = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
    storage: {
      ...sqlite,
      responses: {
        ...sqlite.responses,
        async chain(tenant: string, id: string): Promise<ResponseChain | null> {
          reading = true;
          if (held) await held;
          return sqlite.responses.chain ? sqlite.responses.chain(tenant, id) : null;
        },
      },
    },
    auth: async () => ({
      keyId: "k",
      name: "app",
      tenant: "default",
      role: "user",
      models: ["*"],
      limits: {},
      via: "key",
    }),
    logger: silentLogger,
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
  const begun = spyOn(InFlightResponses.prototype, "begin");
  try {
    const { port } = leaky.listen("127.0.0.1", 0);
    const url = `http://127.0.0.1:${port}/v1/responses`;
    const headers = { authorization: "Bearer t", "content-type": "application/json" };
    const first = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "mock", input: "hi" }),
    });
    const { id } = (await first.json()) as { id: string };

    const release = Promise.withResolvers<void>();
    held = release.promise;
    const leaving = new AbortController();
    const turn = fetch(url, {
      method: "POST",
      signal: leaving.signal,
      headers,
      body: JSON.stringify({ model: "mock", input: "and then?", previous_response_id: id }),
    }).catch(() => "left");
    await waitFor("the chain read held", () => reading);
    leaving.abort();
    expect(await turn).toBe("left");
    await waitFor("the turn recorded as left", () => finished.some((record) => record.status === 499));
    release.resolve();
    // A round trip after the read ends: the turn's context, were it still made, is made by now.
    expect((await fetch(`${url}/${id}`, { headers })).status).toBe(200);

    for (const [, begunId] of begun.mock.calls) {
      const read = (await (await fetch(`${url}/${begunId}`, { headers })).json()) as { status?: string };
      expect(read.status ?? "unknown").not.toBe("in_progress");
    }
  } finally {
    begun.mockRestore();
    await leaky.stop();
  }
});
