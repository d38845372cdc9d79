import { afterAll, beforeAll, expect, spyOn, test } from "bun:test";
import OpenAI from "openai";
import { parseConfig } from "../config/load-config.ts";
import type { JsonObject } from "../core/dialect.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { openStorage } from "../storage/open-storage.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";
import { InFlightResponses } from "./in-flight-responses.ts";

// A translated Responses stream that fails after it began is read back as OpenAI keeps one:
// `client.responses.retrieve(id)` answers its response with status `failed`, the error the
// stream's `response.failed` said, and the output it had written. It was a 404 (never stored).
// The gateway on a loopback port, a chat upstream whose stream writes some text and then its
// error chunk (OpenAI's `server_error`), the official SDK as the caller. Its saves can be held
// (a slow database), so a read between the stream's end and the row's write is seen.

let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
let client: OpenAI;
/** While set, each save waits for it: the row is written once the test resolves it. */
let heldSaves: PromiseWithResolvers<void> | undefined;
let savesBegun = 0;
/** The ids whose row the store has written (its save done). */
const rowsWritten = new Set<string>();
/** The ids whose failed entry, read while the row is written, has ended: a read is the row's then. */
const failedEntriesEnded = new Set<string>();
const holdFailed = InFlightResponses.prototype.failed;
const failedSpy = spyOn(InFlightResponses.prototype, "failed").mockImplementation(function (
  this: InFlightResponses,
  scope: string,
  id: string,
  response: JsonObject,
) {
  const end = holdFailed.call(this, scope, id, response);
  return () => {
    end();
    failedEntriesEnded.add(id);
  };
});
/** The chat requests the upstream was sent, in order. */
const sent: { messages: unknown[] }[] = [];

const encoder = new TextEncoder();
const chunk = (delta: object) =>
  `data: ${JSON.stringify({
    id: "c1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: null }],
  })}\n\n`;
const SERVER_ERROR = `data: ${JSON.stringify({
  error: { message: "The server had an error while processing your request.", type: "server_error" },
})}\n\n`;

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      sent.push((await request.json()) as { messages: unknown[] });
      return new Response(
        encoder.encode(
          chunk({ role: "assistant", content: "hel" }) + chunk({ content: "lo" }) + SERVER_ERROR,
        ),
        {
          headers: { "content-type": "text/event-stream" },
        },
      );
    },
  });
  const config = parseConfig({
    storage: { path: ":memory:" },
    auth: { bootstrap_admin: false },
    providers: [{ name: "up", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: [{ name: "m", routes: [{ provider: "up", model: "m" }] }],
    routing: { retries: 0 },
  });
  const storage = await openStorage(config.storage);
  const save = storage.responses.save.bind(storage.responses);
  gateway = await createGateway({
    config,
    storage: {
      ...storage,
      responses: {
        ...storage.responses,
        save: async (record) => {
          savesBegun++;
          await heldSaves?.promise;
          await save(record);
          rowsWritten.add(record.id);
        },
      },
    },
    auth: async () => ({
      keyId: "k1",
      name: "app",
      tenant: "default",
      role: "user",
      models: ["*"],
      limits: {},
      via: "key",
    }),
    logger: silentLogger,
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  client = new OpenAI({ apiKey: "sk-test", baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  failedSpy.mockRestore();
  await gateway.stop();
  upstream.stop(true);
});

/** Streams a call to its failure: the id its `response.created` gave, and what the SDK threw. */
async function failedStream() {
  const stream = await client.responses.create({ model: "m", input: "say hello", stream: true });
  let id = "";
  // The SDK throws on the stream's `error` event, the one before its `response.failed`.
  const thrown = await (async () => {
    for await (const event of stream) if (event.type === "response.created") id = event.response.id;
  })().catch((error: unknown) => error);
  expect(thrown).toBeInstanceOf(OpenAI.APIError);
  expect((thrown as InstanceType<typeof OpenAI.APIError>).code).toBe("server_error");
  expect(id).toStartWith("resp_");
  return id;
}

test("a translated stream that failed is read back with status failed, its error and its output so far", async () => {
  const id = await failedStream();
  // Read at once: the failed response is read as the row will say it from its failure on, its
  // row written or not.
  const read = await client.responses.retrieve(id);
  expect(read.id).toBe(id);
  expect(read.status).toBe("failed");
  expect(read.error).toEqual({
    code: "server_error",
    message: "The server had an error while processing your request.",
  } as OpenAI.Responses.ResponseError);
  expect(read.output_text).toBe("hello");
  expect(read.usage ?? null).toBeNull();
  // Its input reads back too, as a stored response's does.
  const items = await client.responses.inputItems.list(id);
  expect(items.data.length).toBe(1);
});

test("a failed response whose row is not written yet reads as failed, never as unknown", async () => {
  heldSaves = Promise.withResolvers<void>();
  const saving = heldSaves;
  const before = savesBegun;
  try {
    const id = await failedStream();
    await waitFor("its save to begin", () => savesBegun > before, 20_000);
    // The request is over (its last event read), its row not written: a 404 before the fix.
    const during = await client.responses.retrieve(id);
    expect(during.status).toBe("failed");
    expect(during.output_text).toBe("hello");
    saving.resolve();
    heldSaves = undefined;
    // Read once the row is written and the failed entry the read during came from has ended: the
    // read after is the row's, so the row must say what that entry said.
    await waitFor(
      "its row written, its failed entry ended",
      () => rowsWritten.has(id) && failedEntriesEnded.has(id),
      20_000,
    );
    const after = await client.responses.retrieve(id);
    expect(after).toEqual(during);
  } finally {
    saving.resolve();
    heldSaves = undefined;
  }
});

test("a previous_response_id naming a failed response continues it, its output so far carried (OpenAI's word on it found nowhere)", async () => {
  const id = await failedStream();
  // The chain is read from the store (input_items too; a read of the response alone is answered
  // from memory until then).
  await waitForValue(
    "its row written",
    () => client.responses.inputItems.list(id).catch(() => undefined),
    20_000,
  );
  const before = sent.length;
  // The upstream fails this one too; what it was sent is the point.
  await client.responses
    .create({ model: "m", input: "go on", previous_response_id: id })
    .catch((error: unknown) => error);
  expect(sent.length).toBe(before + 1);
  expect(sent.at(-1)?.messages).toEqual([
    { role: "user", content: "say hello" },
    { role: "assistant", content: "hello" },
    { role: "user", content: "go on" },
  ]);
});
