import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { Principal } from "../auth/principal.ts";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import type { Logger } from "../log/logger.ts";
import { openStorage } from "../storage/open-storage.ts";
import { storageUnavailable } from "../storage/postgres/postgres-failure.ts";
import type { ResponseStore } from "../storage/storage.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";

// A Responses answer the gateway stores leaves only once its save is done, so the next turn of an
// agent loop, sent the moment the answer is read, finds it (on any node: the store is shared). A
// slow store (a PostgreSQL round trip) holds the answer, not the follow-up; a failed save fails
// the call. Through the real gateway, over a socket, its response store slowed at will.

const dir = mkdtempSync(join(tmpdir(), "mindgw-stored-first-"));
const gateways: Gateway[] = [];
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A response store whose saves wait for `release` (or fail on it), the order of events noted. */
function slowStore(store: ResponseStore) {
  const held: { release: () => void; fail: (error: unknown) => void }[] = [];
  const events: string[] = [];
  const slowed: ResponseStore = {
    ...store,
    save: (record) =>
      new Promise<void>((resolve, reject) => {
        events.push("save begun");
        held.push({
          release: () => {
            store.save(record).then(() => {
              events.push("saved");
              resolve();
            }, reject);
          },
          fail: reject,
        });
      }),
  };
  return {
    slowed,
    events,
    /** Fails every save begun and not settled yet with `error`: the store is down. */
    failWaiting(error: unknown) {
      for (const save of held.splice(0)) save.fail(error);
    },
    /**
     * Waits for the next save to begin, then holds it while `answered` (the call it belongs to)
     * could reach its client — for some event-loop turns, not a clock: an answer that did not wait
     * for its save would arrive meanwhile — then lets it finish (or fail with `error`).
     */
    async settleNext(answered: Promise<unknown>, error?: unknown) {
      await waitFor("a save to begin", () => held.length > 0);
      await Promise.race([answered, turns(50)]);
      const save = held.shift();
      if (error === undefined) save?.release();
      else save?.fail(error);
    },
  };
}

const principal: Principal = {
  keyId: null,
  name: "agent",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: {},
  via: "jwt",
};
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A chat server that answers without `usage`, as some do: the answer's usage is estimated. */
const unmetered = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () =>
    Response.json({
      id: "c1",
      object: "chat.completion",
      created: 1,
      model: "u",
      choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(40) }, finish_reason: "stop" }],
    }),
});
afterAll(() => unmetered.stop(true));

async function gatewayWithSlowStore(name: string, logger: Logger = quiet) {
  const config = parseConfig({
    storage: { path: join(dir, `${name}.db`) },
    auth: { bootstrap_admin: false },
    providers: [
      { name: "mock", type: "mock" },
      { name: "up", type: "openai", base_url: `http://127.0.0.1:${unmetered.port}/v1` },
    ],
    models: [
      { name: "m", routes: [{ provider: "mock", model: "mock" }] },
      { name: "unmetered", routes: [{ provider: "up", model: "u" }] },
    ],
  });
  const storage = await openStorage(config.storage);
  const store = slowStore(storage.responses);
  const finished: AuditRecord[] = [];
  const gateway = await createGateway({
    config,
    storage: { ...storage, responses: store.slowed },
    auth: async () => principal,
    logger,
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
  gateways.push(gateway);
  const { port } = gateway.listen("127.0.0.1", 0);
  const respond = async (body: object) => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/responses`, {
      method: "POST",
      headers: { authorization: "Bearer any", "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: "hi", ...body }),
    });
    const text = await response.text();
    store.events.push("answered");
    return { status: response.status, text, requestId: response.headers.get("x-request-id") };
  };
  return { respond, store, finished };
}

const idOf = (text: string) => String((JSON.parse(text) as { id: string }).id);
/** A streamed answer's id, from its `response.completed` event. */
const streamedIdOf = (text: string) => /"type":"response\.completed".*?"id":"(resp_[^"]+)"/.exec(text)?.[1];

describe("a stored Responses answer leaves once stored", () => {
  test("whole: answered after its save, and continued at once by a follow-up", async () => {
    const { respond, store } = await gatewayWithSlowStore("whole");
    const first = respond({});
    await store.settleNext(first);
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(store.events).toEqual(["save begun", "saved", "answered"]);
    const next = respond({ previous_response_id: idOf(answered.text) });
    await store.settleNext(next);
    expect((await next).status).toBe(200);
  });

  test("streamed: response.completed leaves after its save, and a follow-up continues it at once", async () => {
    const { respond, store } = await gatewayWithSlowStore("stream");
    const first = respond({ stream: true });
    await store.settleNext(first);
    const answered = await first;
    expect(answered.text).toContain("response.completed");
    expect(store.events).toEqual(["save begun", "saved", "answered"]);
    const id = streamedIdOf(answered.text);
    expect(id).toBeDefined();
    const next = respond({ previous_response_id: id });
    await store.settleNext(next);
    expect((await next).status).toBe(200);
  });

  test("a failed save: 503 storage_unavailable (a stream: its error event instead of response.completed), never an id that was not stored", async () => {
    const { respond, store, finished } = await gatewayWithSlowStore("failing");
    const whole = respond({});
    await store.settleNext(whole, storageUnavailable());
    const refused = await whole;
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: "storage_unavailable" } });
    const streamed = respond({ stream: true });
    await store.settleNext(streamed, storageUnavailable());
    const cut = await streamed;
    expect(cut.status).toBe(200);
    expect(cut.text).not.toContain("response.completed");
    expect(cut.text).toMatch(/event: error\ndata: \{[^\n]*"code":"storage_unavailable"/);
    // Both recorded as failed, with the route that answered.
    await waitFor("both records", () => finished.length === 2);
    expect(finished.map((r) => [r.requestId, r.status, r.errorClass, r.route])).toEqual([
      [refused.requestId, 503, "storage_unavailable", "provider:mock"],
      [cut.requestId, 503, "storage_unavailable", "provider:mock"],
    ]);
  });

  test("a failed save is logged once, with its request id: the stream it fails is not saved again as failed", async () => {
    const { logger, lines } = recordingLogger();
    const { respond, store, finished } = await gatewayWithSlowStore("failing-logged", logger);
    const streamed = respond({ stream: true });
    await store.settleNext(streamed, storageUnavailable());
    const cut = await streamed;
    expect(cut.text).toContain("response.failed");
    // Any save the stream's failure began fails too: the store is still down.
    store.failWaiting(storageUnavailable());
    await waitFor("its record", () => finished.some((record) => record.requestId === cut.requestId));
    await turns(10);
    const logged = lines.filter((line) => line.message === "storing the response failed");
    expect(logged.map((line) => [line.level, line.fields?.request_id])).toEqual([["error", cut.requestId]]);
    expect(store.events.filter((event) => event === "save begun")).toHaveLength(1);
  });

  test("a failed save of an answer its upstream sent without usage: the estimate is charged, as any whole answer's", async () => {
    const { respond, store, finished } = await gatewayWithSlowStore("failing-unmetered");
    const whole = respond({ model: "unmetered" });
    await store.settleNext(whole, storageUnavailable());
    const refused = await whole;
    expect(refused.status).toBe(503);
    const row = await waitForValue("its record", () =>
      finished.find((r) => r.requestId === refused.requestId),
    );
    // "hi" is a token; the answer's 40 characters are 10 (they were 0 and 0).
    expect([row.errorClass, row.inputTokens, row.outputTokens]).toEqual(["storage_unavailable", 1, 10]);
  });

  test("store: false waits for no save", async () => {
    const { respond, store } = await gatewayWithSlowStore("unstored");
    expect((await respond({ store: false })).status).toBe(200);
    expect((await respond({ store: false, stream: true })).text).toContain("response.completed");
    expect(store.events).toEqual(["answered", "answered"]);
  });
});
