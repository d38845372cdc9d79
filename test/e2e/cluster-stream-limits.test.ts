/**
 * A stream's tokens on a cluster: two `mindgw serve` nodes on one PostgreSQL and one Redis, and an
 * upstream that keeps its stream's body open after the end marker (its end a read later, or
 * more). A client that stops at `[DONE]`, as the SDKs do, and sends its next request to the other
 * node at once must find the stream's tokens counted in the shared tokens-per-minute window; so
 * must one that has a whole answer. Node A reaches Redis through a proxy that can hold its writes:
 * with A's record of an answer's tokens held on its way, the answer must not reach the client.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { RECORD_SCRIPT } from "../../src/cluster/admit-script.ts";
import { FIFTEEN_TOKEN_STREAM, fifteenTokenAnswer } from "../../src/testing/openai-usage-answer.ts";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type HoldingProxy, startHoldingProxy } from "./harness/holding-proxy.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

const WHOLE = fifteenTokenAnswer("held");

/** How a node calls the record script: by its hash (EVALSHA), the hash in its first call too. */
const RECORD_SHA = new Bun.CryptoHasher("sha1").update(RECORD_SCRIPT).digest("hex");

/** Ends the stream bodies the upstream holds open after their end marker. */
const holding: (() => void)[] = [];
/** The upstream's next call waits for `answer` (it came, so the node's admission is done). */
let gate: { came: PromiseWithResolvers<void>; answer: PromiseWithResolvers<void> } | undefined;
const upstream = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const { stream } = (await request.json()) as { stream?: boolean };
    const held = gate;
    gate = undefined;
    if (held) {
      held.came.resolve();
      await held.answer.promise;
    }
    if (!stream) return Response.json(WHOLE);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(FIFTEEN_TOKEN_STREAM));
        holding.push(() => {
          // Canceled already when its client left first.
          if (request.signal.aborted) return;
          controller.close();
        });
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  },
});
afterAll(() => {
  for (const end of holding.splice(0)) end();
  upstream.stop(true);
});

// A test that failed while the proxy held node A's writes leaves the next one a node that can reach Redis.
afterEach(() => proxy.release());

let nodes: GatewayProcess[] = [];
let adminKey = "";
/** Between node A and Redis (node B reaches Redis directly). */
let proxy: HoldingProxy;
const fx = gatewayFixture({ fake: null, gateway: false });

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  proxy = fx.own(await startHoldingProxy({ hostname: "127.0.0.1", port: redis.port }));
  const databaseUrl = await postgres.createDatabase("stream_limits");
  const extra = {
    providers: [{ name: "held", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: [{ name: "held", routes: [{ provider: "held", model: "held" }] }],
  };
  // Node A's Redis calls are bounded well past what a test holds them (a held call that timed out
  // would let the answer go, rightly, and the test would fail for a slow machine).
  const first = await fx.startNode({
    name: "node-a",
    databaseUrl,
    redisUrl: `redis://127.0.0.1:${proxy.port}`,
    redisTimeout: "20s",
    extra,
  });
  adminKey = first.adminKey ?? "";
  nodes = [first, await fx.startNode({ name: "node-b", databaseUrl, redisUrl: redis.url, extra })];
}, 90_000);

/** A stream read up to its `[DONE]` (or its end), what came so far readable meanwhile. */
function readToDone(sent: Promise<Response>) {
  let text = "";
  const done = sent.then(async (response) => {
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    while (!text.includes("data: [DONE]")) {
      const read = await reader.read();
      if (read.done) break;
      text += decoder.decode(read.value, { stream: true });
    }
    return reader;
  });
  return { text: () => text, done };
}

const streamAt = (url: string, key: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "held",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "hi" }],
    }),
  });

/**
 * Node A's next answer with its charge's record held on its way to Redis: the upstream answers
 * once A has admitted the request (that went through the proxy), and the proxy holds A's writes
 * from then on. Returns once the record is held and A has answered a request sent after it: A
 * writes that answer after anything it wrote before, so whatever of the held answer had left,
 * its client has read.
 */
async function recordHeld(send: () => void): Promise<void> {
  const held = { came: Promise.withResolvers<void>(), answer: Promise.withResolvers<void>() };
  gate = held;
  send();
  await held.came.promise;
  proxy.hold();
  held.answer.resolve();
  await waitFor("node A's record of the answer's tokens, held on its way to Redis", () =>
    proxy.held().includes(RECORD_SHA),
  ).catch((error: Error) => {
    // A record never sent: node A had no Redis (its log says why).
    throw new Error(`${error.message}; node A's log ends:\n${nodes[0]!.stderr.all.slice(-2000)}`);
  });
  expect((await fetch(`${nodes[0]!.url}/healthz`)).status).toBe(200);
}

/** Node B's answer to the key's next request: refused, the key's tokens per minute spent. */
async function refusedOnB(key: string): Promise<void> {
  const next = await chatAt(nodes[1]!.url, key, { model: "held" });
  expect(next.status).toBe(429);
  expect(((await next.json()) as { error: { message: string } }).error.message).toContain(
    "tokens per minute",
  );
}

test("a client that stops at a stream's [DONE] on one node and asks the other at once is refused by the shared tpm, its upstream's body still open", async () => {
  const { key } = await createKey({ url: nodes[0]!.url, adminKey }, { name: "one-stream", tpm: 15 });
  const stream = readToDone(streamAt(nodes[0]!.url, key));
  const reader = await stream.done;
  expect(stream.text()).toContain('"total_tokens":15');
  await refusedOnB(key);
  for (const end of holding.splice(0)) end();
  await reader.cancel();
}, 30_000);

test("a stream's [DONE] leaves node A only once Redis has acknowledged the record of its tokens: held on its way, the client has no [DONE]; released, it has, and node B refuses its next request", async () => {
  const { key } = await createKey({ url: nodes[0]!.url, adminKey }, { name: "held-stream", tpm: 15 });
  let stream: ReturnType<typeof readToDone> | undefined;
  await recordHeld(() => {
    stream = readToDone(streamAt(nodes[0]!.url, key));
  });
  expect(stream!.text()).not.toContain("[DONE]");
  proxy.release();
  const reader = await stream!.done;
  expect(stream!.text()).toContain('"total_tokens":15');
  await refusedOnB(key);
  for (const end of holding.splice(0)) end();
  await reader.cancel();
}, 30_000);

test("a whole answer leaves node A only once Redis has acknowledged the record of its tokens: held on its way, the client has no answer; released, it has, and node B refuses its next request", async () => {
  const { key } = await createKey({ url: nodes[0]!.url, adminKey }, { name: "held-whole", tpm: 15 });
  let whole: Promise<Response> | undefined;
  let answered = false;
  await recordHeld(() => {
    whole = chatAt(nodes[0]!.url, key, { model: "held" }).finally(() => {
      answered = true;
    });
  });
  expect(answered).toBe(false);
  proxy.release();
  const response = await whole!;
  expect(response.status).toBe(200);
  expect(((await response.json()) as { usage: { total_tokens: number } }).usage.total_tokens).toBe(15);
  await refusedOnB(key);
}, 30_000);

test("a client that leaves while node A holds its stream's [DONE] for the record is audited as having left (499), not answered", async () => {
  const { key } = await createKey({ url: nodes[0]!.url, adminKey }, { name: "left-held", tpm: 1000 });
  let stream: ReturnType<typeof readToDone> | undefined;
  const leaving = new AbortController();
  await recordHeld(() => {
    stream = readToDone(
      fetch(`${nodes[0]!.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "held", stream: true, messages: [{ role: "user", content: "hi" }] }),
        signal: leaving.signal,
      }),
    );
  });
  expect(stream!.text()).not.toContain("[DONE]");
  leaving.abort();
  await stream!.done.catch(() => {});
  proxy.release();
  const row = await waitFor("the row of the stream its client left", async () =>
    (await auditRecords({ url: nodes[0]!.url, adminKey })).find((record) => record.keyName === "left-held"),
  );
  expect(row.status).toBe(499);
  for (const end of holding.splice(0)) end();
}, 30_000);

test("an answer that counts nothing in Redis (a key without a tpm, a model that costs nothing) leaves node A while another answer's record is held on its way", async () => {
  const other = await createKey({ url: nodes[0]!.url, adminKey }, { name: "held-other", tpm: 1000 });
  const { key } = await createKey({ url: nodes[0]!.url, adminKey }, { name: "counts-nothing" });
  let whole: Promise<Response> | undefined;
  let answered = false;
  await recordHeld(() => {
    whole = chatAt(nodes[0]!.url, other.key, { model: "held" }).finally(() => {
      answered = true;
    });
  });
  // Its record adds nothing for the other nodes: nothing of its own to wait for, where it waited
  // for the held call (until node A's Redis timeout let both answers go).
  const response = await chatAt(nodes[0]!.url, key, { model: "held" });
  expect(response.status).toBe(200);
  expect(answered).toBe(false);
  proxy.release();
  expect((await whole!).status).toBe(200);
}, 30_000);
