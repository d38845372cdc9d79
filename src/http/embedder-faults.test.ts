import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { Policy } from "../auth/policy.ts";
import type { Principal } from "../auth/principal.ts";
import { parseConfig } from "../config/load-config.ts";
import type { SseEvent } from "../core/sse.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import type { LogFields, Logger } from "../log/logger.ts";
import type { Provider } from "../providers/provider.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import type { Storage } from "../storage/storage.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";

// An embedder's parts fail. Where the answer is already in hand (a policy's record), the answer
// still reaches its caller, the request still ends (its record written, its place given back), and
// the failure is logged with the request's id. Where no answer has gone out (a provider's events),
// the failure is an upstream's, failed over alike whichever dialect the caller speaks.

const dir = mkdtempSync(join(tmpdir(), "mindgw-policy-faults-"));
const gateways: Gateway[] = [];
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Answers in several reads (a turn between each chunk), so the stream's end comes after its head. */
/** Set by a test: the next call's answer waits for it (a slow first token, answered kept alive). */
let held: Promise<void> | undefined;

const slowStream: Provider = {
  name: "slow",
  dialect: "openai",
  async call(call) {
    if (held) await held;
    const chunk = (delta: object, finish: string | null) => ({
      data: JSON.stringify({
        id: "c1",
        object: "chat.completion.chunk",
        model: call.body.model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      }),
    });
    if (!call.stream)
      return {
        kind: "json",
        body: {
          id: "c1",
          object: "chat.completion",
          model: call.body.model,
          choices: [{ index: 0, message: { role: "assistant", content: "whole" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
        },
      };
    async function* events(): AsyncIterable<SseEvent> {
      yield chunk({ role: "assistant", content: "" }, null);
      for (const word of ["one ", "two ", "three"]) {
        await nextTurn();
        yield chunk({ content: word }, null);
      }
      await nextTurn();
      yield chunk({}, "stop");
      yield { data: "[DONE]" };
    }
    return { kind: "stream", events: events() };
  },
};

interface Logged {
  level: string;
  message: string;
  fields?: LogFields;
}

/** Its events throw a raw error before the first one, as an embedder's provider on a lost socket may. */
const flaky: Provider = {
  name: "flaky",
  dialect: "openai",
  async call() {
    const events: AsyncIterable<SseEvent> = {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<SseEvent>> {
          await nextTurn();
          throw new TypeError("fetch failed");
        },
      }),
    };
    return { kind: "stream", events };
  },
};

const recordingPolicy: Policy = { admit: () => ({}), record: () => 0 };

/** The caller every test's authenticator lets in. */
const principal: Principal = {
  keyId: null,
  name: "embedded",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: {},
  via: "jwt",
};

/** What a test changes of the gateway beyond its policy and authenticator. */
interface Parts {
  /** The storage, made from the test's own SQLite one (a store call made to hang, say). */
  readonly storage?: (sqlite: Storage) => Storage;
  readonly drainTimeout?: string;
}

async function gatewayWith(
  name: string,
  policy: Policy = recordingPolicy,
  auth: (headers: Headers) => Promise<Principal> = async () => principal,
  parts: Parts = {},
) {
  const logged: Logged[] = [];
  const log =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      logged.push({ level, message, fields });
    };
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  const finished: AuditRecord[] = [];
  const path = join(dir, `${name}.db`);
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path },
      auth: { bootstrap_admin: false },
      server: {
        max_concurrent_requests: 2,
        ...(parts.drainTimeout ? { drain_timeout: parts.drainTimeout } : {}),
      },
      routing: { stream_keepalive: "10ms" },
      providers: [
        { name: "slow", type: "mock" },
        { name: "flaky", type: "mock" },
      ],
      models: [
        { name: "m", routes: [{ provider: "slow", model: "m" }] },
        {
          name: "failing-over",
          routes: [
            { provider: "flaky", model: "m" },
            { provider: "slow", model: "m" },
          ],
        },
      ],
    }),
    providers: (config) => (config.name === "flaky" ? flaky : slowStream),
    ...(parts.storage ? { storage: parts.storage(openSqliteStorage(path)) } : {}),
    auth,
    policy,
    logger,
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
  gateways.push(gateway);
  const { port } = gateway.listen("127.0.0.1", 0);
  const call = (
    stream: boolean,
    model = "m",
    path = "/v1/chat/completions",
    token = "any",
    signal?: AbortSignal,
  ) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      signal,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model, stream, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    });
  return { call, logged, finished, gateway, port };
}

/**
 * The two requests' clients leave: each ends (its fetch refused), each is recorded 499, and the
 * places they held are given back (the next request is served).
 */
async function bothLeft(
  leaving: AbortController[],
  calls: Promise<unknown>[],
  finished: { status: number }[],
  call: (stream: boolean) => Promise<Response>,
): Promise<void> {
  for (const controller of leaving) controller.abort();
  expect(await Promise.all(calls)).toEqual(["left", "left"]);
  await waitFor("both requests recorded", () => finished.length === 2);
  expect(finished.map((record) => record.status)).toEqual([499, 499]);
  const next = await call(false);
  expect(next.status).toBe(200);
  await next.text();
}

test("a policy whose record throws: streams and whole answers are delivered, recorded at $0, and their places given back", async () => {
  let failing = true;
  const policy: Policy = {
    admit: () => ({}),
    record() {
      if (failing) throw new Error("counter store gone");
      return 0.25;
    },
  };
  const { call, logged, finished } = await gatewayWith("record-throws", policy);
  // Three failing ends on a gateway that holds two requests at once: a request that stayed open
  // after its failed record would refuse the last ones with 503.
  for (const stream of [true, true, false]) {
    const response = await call(stream);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(stream ? "three" : "whole");
  }
  await waitFor("three requests recorded", () => finished.length === 3);
  expect(finished.map((record) => [record.status, record.costUsd])).toEqual([
    [200, 0],
    [200, 0],
    [200, 0],
  ]);
  const failures = logged.filter((line) => line.message === "recording a request's usage failed");
  expect(failures).toHaveLength(3);
  expect(failures.map((line) => line.fields?.request_id)).toEqual(finished.map((record) => record.requestId));
  expect(String(failures[0]?.fields?.error)).toContain("counter store gone");
  failing = false;
  const after = await call(false);
  expect(after.status).toBe(200);
  await after.text();
  await waitFor("the fourth request recorded", () => finished.length === 4);
  expect(finished[3]?.costUsd).toBe(0.25);
});

test("a policy that counts elsewhere too: an answer waits for its own record's counts only, not for another request's", async () => {
  const counting = Promise.withResolvers<void>();
  let records = 0;
  const policy: Policy = {
    admit: () => ({}),
    // The first request's record is on its way elsewhere until released; the others' count at once.
    record: () => (++records === 1 ? { costUsd: 0.5, counted: counting.promise } : 0.25),
  };
  const { call, finished } = await gatewayWith("counted-own", policy);
  let answered = false;
  const first = call(false).then((response) => {
    answered = true;
    return response;
  });
  await waitFor("the first request's record", () => records === 1);
  for (const stream of [false, true]) {
    const response = await call(stream);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(stream ? "three" : "whole");
  }
  expect(answered).toBe(false);
  counting.resolve();
  const response = await first;
  expect(response.status).toBe(200);
  expect(await response.text()).toContain("whole");
  await waitFor("three requests recorded", () => finished.length === 3);
  expect(finished.map((record) => record.costUsd).sort()).toEqual([0.25, 0.25, 0.5]);
});

test("a policy whose record throws: a stream answered kept alive still ends, recorded at $0", async () => {
  const policy: Policy = {
    admit: () => ({}),
    record() {
      throw new Error("counter store gone");
    },
  };
  const { call, logged, finished } = await gatewayWith("record-throws-kept-alive", policy);
  let release = () => {};
  held = new Promise((resolve) => (release = resolve));
  try {
    const response = await call(true);
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    // The head went out before routing settled: a keep-alive comment, then the answer.
    expect(new TextDecoder().decode(first.value)).toStartWith(":");
    release();
    let text = "";
    for (let read = await reader.read(); !read.done; read = await reader.read())
      text += new TextDecoder().decode(read.value);
    expect(text).toContain("three");
  } finally {
    held = undefined;
    release();
  }
  await waitFor("the kept-alive stream recorded", () => finished.length === 1);
  expect([finished[0]?.status, finished[0]?.costUsd]).toEqual([200, 0]);
  expect(logged.filter((line) => line.message === "recording a request's usage failed")).toHaveLength(1);
  const next = await call(false);
  expect(next.status).toBe(200);
  await next.text();
});

test("a provider's events that throw before the first one fail over alike for both dialects, the cause logged", async () => {
  const { call, logged, finished } = await gatewayWith("provider-throws");
  for (const path of ["/v1/chat/completions", "/v1/messages"]) {
    const response = await call(true, "failing-over", path);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("three");
  }
  await waitFor("both requests recorded", () => finished.length === 2);
  expect(finished.map((record) => [record.status, record.route])).toEqual([
    [200, "provider:slow"],
    [200, "provider:slow"],
  ]);
  // Each route is tried twice (`retries: 1`): four lines, each with what the provider threw.
  const failed = logged.filter(
    (line) => line.message === "route failed" && line.fields?.route === "provider:flaky",
  );
  expect(failed).toHaveLength(4);
  for (const line of failed) {
    expect([line.level, line.fields?.upstream_model]).toEqual(["warn", "m"]);
    expect(String(line.fields?.reason)).toContain("(TypeError: fetch failed)");
  }
});

test("a provider's events without usage are charged a token each but the end marker, alike for both dialects, not by the events the caller got", async () => {
  const { call, finished } = await gatewayWith("uncounted-events");
  const told: number[] = [];
  for (const path of ["/v1/chat/completions", "/v1/messages"]) {
    const response = await call(true, "m", path);
    expect(response.status).toBe(200);
    // Events, not the keep-alive comments a loaded machine's slower turns let fall due (10 ms).
    const events = (await response.text()).split("\n\n").filter((event) => event.trim() !== "");
    told.push(events.filter((event) => !event.trimStart().startsWith(":")).length);
  }
  // 6 chat events, 9 Anthropic ones: translated, its events counted as the translation read them.
  expect(told).toEqual([6, 9]);
  await waitFor("both requests recorded", () => finished.length === 2);
  // The role chunk, three words and the finish.
  expect(finished.map((record) => [record.status, record.outputTokens])).toEqual([
    [200, 5],
    [200, 5],
  ]);
});

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
