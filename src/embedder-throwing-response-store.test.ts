import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import {
  createGateway,
  type Gateway,
  openSqliteStorage,
  type ResponseStore,
  type StoredResponse,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { oneMockModel } from "./testing/one-mock-model.ts";

// An embedder's ResponseStore whose methods throw before they return a promise: a method that is
// not `async` and whose driver throws at once (a pool closed, a query it cannot build). That is
// the store failing, as a rejection is: a 503 storage_unavailable to retry, where earlier releases
// answered a read 500 internal_error and a save 502 "upstream failed", blaming the upstream.

const base = openSqliteStorage(":memory:");
const throwsAtOnce = (): never => {
  throw new Error("pool is closed");
};
const responses: ResponseStore = {
  ...base.responses,
  save: throwsAtOnce,
  get: throwsAtOnce,
  chain: throwsAtOnce,
  delete: throwsAtOnce,
};

let gateway: Gateway;
let client: OpenAI;
beforeAll(async () => {
  gateway = await createGateway({
    config: oneMockModel(),
    auth: async () => jwtCaller,
    storage: { ...base, responses, close: () => base.close() },
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "t", maxRetries: 0 });
});
afterAll(() => gateway.stop());

/** What the SDK threw for `call`: its status and the error's code and message. */
async function refusal(call: () => Promise<unknown>) {
  try {
    await call();
    return "answered";
  } catch (error) {
    const { status, code, message } = error as { status?: number; code?: string; message: string };
    return { status, code, message };
  }
}

test("a response store that throws at once on read: 503 storage_unavailable on every route, as when it rejects", async () => {
  const reads = [
    () => client.responses.retrieve("resp_earlier"),
    () => client.responses.inputItems.list("resp_earlier"),
    () => client.responses.delete("resp_earlier"),
    () =>
      client.responses.create({ model: "mock", input: "and then?", previous_response_id: "resp_earlier" }),
  ];
  for (const read of reads)
    expect(await refusal(read)).toEqual({
      status: 503,
      code: "storage_unavailable",
      message: "503 the response store is unavailable; try again later",
    });
});

test("a response store that throws at once on save: the answer it would store is the store's 503, not the upstream's 502", async () => {
  const refused = await refusal(() => client.responses.create({ model: "mock", input: "hi" }));
  expect(refused).toMatchObject({ status: 503, code: "storage_unavailable" });
});

test("a response store whose methods answer plain values (not async: a synchronous store): saved, read, continued and deleted as an async one's", async () => {
  // A JavaScript store kept in a Map, answering at once: nothing, a record or null, true or false.
  const held = new Map<string, StoredResponse>();
  const plain = {
    ...base.responses,
    save: (record: StoredResponse) => {
      held.set(`${record.tenant}/${record.id}`, record);
    },
    get: (tenant: string, id: string) => held.get(`${tenant}/${id}`) ?? null,
    chain: undefined,
    responseOfItem: undefined,
    delete: (tenant: string, id: string) => held.delete(`${tenant}/${id}`),
  } as unknown as ResponseStore;
  const own = await createGateway({
    config: oneMockModel(),
    auth: async () => jwtCaller,
    storage: { ...base, responses: plain, close: async () => {} },
  });
  try {
    const { port } = own.listen("127.0.0.1", 0);
    const sdk = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "t", maxRetries: 0 });
    const first = await sdk.responses.create({ model: "mock", input: "hi" });
    expect(held.size).toBe(1);
    expect((await sdk.responses.retrieve(first.id)).id).toBe(first.id);
    const next = await sdk.responses.create({
      model: "mock",
      input: "and then?",
      previous_response_id: first.id,
    });
    expect(next.previous_response_id).toBe(first.id);
    expect(await refusal(() => sdk.responses.delete(first.id))).toBe("answered");
    expect(await refusal(() => sdk.responses.retrieve(first.id))).toMatchObject({ status: 404 });
  } finally {
    await own.stop();
  }
});
