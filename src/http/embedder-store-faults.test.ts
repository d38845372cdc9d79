import { expect, test } from "bun:test";
import type { Policy } from "../auth/policy.ts";
import type { Principal } from "../auth/principal.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";
import { bothLeft, embedderGateways, principal, recordingPolicy } from "./testing/embedder-gateways.ts";

// An embedder's step or store that never settles or fails: a client that leaves ends its request
// (499) and gives its place back, a stop's deadline ends it (503), a failing store is a 503
// storage_unavailable, never a 500 (the gateway set-up: testing/embedder-gateways.ts).
const { gatewayWith } = embedderGateways();

test("a client that leaves while an authenticator or an admission never settles ends its request (499), its place given back", async () => {
  const waiting: string[] = [];
  const never = new Promise<never>(() => {});
  const policy: Policy = {
    admit(caller) {
      if (caller.name !== "admit-hangs") return {};
      waiting.push("admit");
      return never;
    },
    record: () => 0,
  };
  const { call, finished } = await gatewayWith("pending-steps", policy, async (headers) => {
    const token = headers.get("authorization");
    if (token === "Bearer auth-hangs") {
      waiting.push("auth");
      return never;
    }
    return token === "Bearer admit-hangs" ? { ...principal, name: "admit-hangs" } : principal;
  });
  // Both places of a gateway that holds two requests at once, each held by a step that never ends.
  const leaving = [new AbortController(), new AbortController()];
  const calls = [
    call(false, "m", "/v1/chat/completions", "auth-hangs", leaving[0]?.signal).catch(() => "left"),
    call(false, "m", "/v1/chat/completions", "admit-hangs", leaving[1]?.signal).catch(() => "left"),
  ];
  await waitFor("both requests waiting on their steps", () => waiting.length === 2);
  await bothLeft(leaving, calls, finished, call);
});

test("a client that leaves while a response store's read never settles ends its request (499), its place given back", async () => {
  const reads: string[] = [];
  const never = new Promise<never>(() => {});
  const { call, finished, port } = await gatewayWith("response-read-hangs", recordingPolicy, undefined, {
    storage: (sqlite) => ({
      ...sqlite,
      responses: {
        ...sqlite.responses,
        get: (_tenant, id) => {
          reads.push(id);
          return never;
        },
        chain: (_tenant, id) => {
          reads.push(id);
          return never;
        },
      },
    }),
  });
  // Both places of a gateway that holds two requests at once: a turn continuing a stored response,
  // and a read of one, each held by a read that never ends.
  const leaving = [new AbortController(), new AbortController()];
  const turn = fetch(`http://127.0.0.1:${port}/v1/responses`, {
    method: "POST",
    signal: leaving[0]?.signal,
    headers: { authorization: "Bearer any", "content-type": "application/json" },
    body: JSON.stringify({ model: "m", input: "and then?", previous_response_id: "resp_earlier" }),
  });
  const read = fetch(`http://127.0.0.1:${port}/v1/responses/resp_earlier`, {
    signal: leaving[1]?.signal,
    headers: { authorization: "Bearer any" },
  });
  const calls = [turn.catch(() => "left"), read.catch(() => "left")];
  await waitFor("both requests waiting on the store", () => reads.length === 2);
  await bothLeft(leaving, calls, finished, call);
});

test("a stored response read whose store never settles ends at a stop's deadline (503), as an admin read does", async () => {
  let reads = 0;
  const { finished, gateway, port } = await gatewayWith("response-read-stays", recordingPolicy, undefined, {
    drainTimeout: "200ms",
    storage: (sqlite) => ({
      ...sqlite,
      responses: {
        ...sqlite.responses,
        get: () => {
          reads++;
          return new Promise<never>(() => {});
        },
      },
    }),
  });
  const stays = fetch(`http://127.0.0.1:${port}/v1/responses/resp_earlier`, {
    headers: { authorization: "Bearer any" },
  });
  await waitFor("the read waiting on its store", () => reads === 1);
  const stopped = gateway.stop();
  const answer = await stays;
  expect(answer.status).toBe(503);
  await answer.text();
  await stopped;
  expect(finished.map((record) => record.status)).toEqual([503]);
});

test("an admin read whose store never settles ends when its client leaves (499) and at a stop's deadline (503)", async () => {
  let listing = 0;
  const hang = () => {
    listing++;
    return new Promise<never>(() => {});
  };
  const admin: Principal = { ...principal, name: "admin", role: "admin" };
  const { finished, gateway, port } = await gatewayWith(
    "key-list-hangs",
    recordingPolicy,
    async () => admin,
    {
      drainTimeout: "200ms",
      storage: (sqlite) => ({
        ...sqlite,
        // The listing reads pages where the store has them, else the whole list: both hang.
        keys: { ...sqlite.keys, list: hang, page: hang },
      }),
    },
  );
  const list = (signal?: AbortSignal) =>
    fetch(`http://127.0.0.1:${port}/admin/api/keys`, { signal, headers: { authorization: "Bearer any" } });
  const leaving = new AbortController();
  const left = list(leaving.signal).catch(() => "left");
  await waitFor("the list waiting on its store", () => listing === 1);
  leaving.abort();
  expect(await left).toBe("left");
  await waitFor("the list recorded", () => finished.length === 1);
  expect(finished[0]?.status).toBe(499);
  // One that stays is ended by the stop's drain deadline, answered and recorded.
  const stays = list();
  await waitFor("the second list waiting on its store", () => listing === 2);
  const stopped = gateway.stop();
  const answer = await stays;
  expect(answer.status).toBe(503);
  await answer.text();
  await stopped;
  expect(finished.map((record) => record.status)).toEqual([499, 503]);
});

test("a response store that fails on read answers 503 storage_unavailable on every route, not a 500", async () => {
  const failing = () => Promise.reject(new Error("connection reset by peer"));
  const { port } = await gatewayWith("response-read-fails", recordingPolicy, undefined, {
    storage: (sqlite) => ({
      ...sqlite,
      responses: { ...sqlite.responses, get: failing, chain: failing, delete: failing },
    }),
  });
  const headers = { authorization: "Bearer any", "content-type": "application/json" };
  const url = `http://127.0.0.1:${port}/v1/responses`;
  const answers = await Promise.all([
    fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "m", input: "and then?", previous_response_id: "resp_earlier" }),
    }),
    fetch(`${url}/resp_earlier`, { headers }),
    fetch(`${url}/resp_earlier/input_items`, { headers }),
    fetch(`${url}/resp_earlier`, { method: "DELETE", headers }),
  ]);
  for (const answer of answers) {
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as { error: { code: string; message: string } };
    expect([body.error.code, body.error.message]).toEqual([
      "storage_unavailable",
      "the response store is unavailable; try again later",
    ]);
  }
});

test("a key store that fails answers every admin key route 503 storage_unavailable, logged with its request id, not a 500", async () => {
  const admin: Principal = { ...principal, name: "admin", role: "admin" };
  // Rejected, or thrown before any promise: an embedder's store may do either.
  const rejects = () => Promise.reject(new Error("connection reset by peer"));
  const throws = () => {
    throw new TypeError("pool exhausted");
  };
  const { logged, port } = await gatewayWith("key-store-fails", recordingPolicy, async () => admin, {
    storage: (sqlite) => ({
      ...sqlite,
      keys: {
        ...sqlite.keys,
        list: rejects,
        page: rejects,
        getById: throws,
        findByName: rejects,
        create: rejects,
      },
    }),
  });
  const keys = `http://127.0.0.1:${port}/admin/api/keys`;
  const post = (url: string, body: object) =>
    fetch(url, {
      method: "POST",
      headers: { authorization: "Bearer any", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const get = (url: string) => fetch(url, { headers: { authorization: "Bearer any" } });
  const answers = await Promise.all([
    get(keys),
    get(`${keys}?limit=10`),
    get(`${keys}/alice`),
    post(keys, { name: "alice" }),
    post(`${keys}/alice/revoke`, {}),
    post(`${keys}/alice/rotate`, {}),
    post(`${keys}/alice/limits`, { rpm: 10 }),
  ]);
  const ids: string[] = [];
  for (const answer of answers) {
    expect(answer.status).toBe(503);
    const text = await answer.text();
    expect(JSON.parse(text).error).toMatchObject({
      code: "storage_unavailable",
      message: "the key store is unavailable; try again later",
    });
    // Nothing of the store's own error, nor a stack, reaches the client.
    expect(text).not.toMatch(/connection reset|pool exhausted|\.ts:\d+/);
    ids.push(answer.headers.get("x-request-id") ?? "");
  }
  // Each logged with its request id and what the store said.
  const lines = await waitForValue("every failure logged", () => {
    const found = logged.filter(
      (line) => line.level === "error" && ids.includes(String(line.fields?.request_id)),
    );
    return found.length === ids.length ? found : undefined;
  });
  for (const line of lines)
    expect(String(line.fields?.detail)).toMatch(/connection reset by peer|pool exhausted/);
  expect(logged.filter((line) => line.message === "internal error")).toEqual([]);
});

test("a client that leaves while the save its answer waits for never settles ends its request (499), its place given back", async () => {
  let saves = 0;
  const { call, finished, port } = await gatewayWith("response-save-hangs", recordingPolicy, undefined, {
    storage: (sqlite) => ({
      ...sqlite,
      responses: {
        ...sqlite.responses,
        save: () => {
          saves++;
          return new Promise<never>(() => {});
        },
      },
    }),
  });
  const leaving = new AbortController();
  const turn = fetch(`http://127.0.0.1:${port}/v1/responses`, {
    method: "POST",
    signal: leaving.signal,
    headers: { authorization: "Bearer any", "content-type": "application/json" },
    body: JSON.stringify({ model: "m", input: "hi" }),
  }).catch(() => "left");
  await waitFor("the answer waiting for its save", () => saves === 1);
  leaving.abort();
  expect(await turn).toBe("left");
  await waitFor("the request recorded", () => finished.length === 1);
  expect(finished[0]?.status).toBe(499);
  const next = await call(false);
  expect(next.status).toBe(200);
  await next.text();
});
