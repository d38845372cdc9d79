import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Issue 2: a client that disconnects aborts the upstream request at every stage. Proved by
 * the fake upstream observing its connection close (outcome "aborted"), never by timing.
 */

/**
 * How long the upstream may take to see the abort. A stream's client leaving is seen at once
 * (the response body's cancel); any other stage's by the gateway's poll of the open requests
 * (every 50 ms: src/http/shutdown.ts), so these tests fail when the poll never runs. The rest is
 * the loaded machine's margin, kept under the fake upstream's own idle bound (Bun's default,
 * 10 s), which would end a hanging exchange by itself.
 */
const ABANDONED_MS = 5_000;

let fake: FakeUpstream;
let gw: GatewayProcess;

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
    models: [{ name: "m1", routes: [{ provider: "fake", model: "m1" }] }],
    routing: { retries: 0 },
  }),
});

beforeAll(async () => {
  ({ fake, gw } = fx);
}, 30_000);
beforeEach(() => fake.reset());

const client = () => new OpenAI({ apiKey: gw.adminKey ?? "", baseURL: `${gw.url}/v1`, maxRetries: 0 });
const ask = (marker: string) => [
  { role: "user" as const, content: `[[fake:${marker}]] tell me a long story` },
];

function rawChat(body: object, signal: AbortSignal, id = requestId()): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${gw.adminKey}`,
      "content-type": "application/json",
      "x-request-id": id,
    },
    body: JSON.stringify({ model: "m1", ...body }),
    signal,
  });
}

interface AuditRecord {
  requestId: string;
  status: number;
  errorClass: string | null;
  stream: boolean;
  inputTokens: number;
  outputTokens: number;
}

/** Each request names itself, so its audit row can be found among the others. */
const requestId = () => `cancel-${crypto.randomUUID()}`;

/** The gateway let go of the request: its audit row says the client closed it (499). */
async function closedRow(id: string): Promise<AuditRecord> {
  return waitFor(`the audit row of ${id}`, async () => {
    const response = await fetch(`${gw.url}/admin/api/audit?model=m1&limit=50`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    const body = (await response.json()) as { records: AuditRecord[] };
    return body.records.find((row) => row.requestId === id);
  });
}

describe("a client that disconnects aborts the upstream request", () => {
  test("while the gateway waits for upstream headers (stream, upstream hangs)", async () => {
    const id = requestId();
    const controller = new AbortController();
    const pending = rawChat({ messages: ask("hang"), stream: true }, controller.signal, id).catch(
      (e: unknown) => e,
    );
    await fake.waitForRequest(1, 10_000);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    const aborted = await fake.waitForAbort(ABANDONED_MS);
    expect(aborted.outcome).toBe("aborted");
    expect(fake.requests).toHaveLength(1);
    expect(await closedRow(id)).toMatchObject({ status: 499, errorClass: "client_closed", stream: true });
  });

  test("while the gateway waits for upstream headers (non-stream, upstream delays)", async () => {
    const controller = new AbortController();
    const pending = client()
      .chat.completions.create({ model: "m1", messages: ask("delay=20000") }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await fake.waitForRequest(1, 10_000);
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect((await fake.waitForAbort(ABANDONED_MS)).outcome).toBe("aborted");
  });

  test("mid-stream, after some chunks reached the client (openai SDK)", async () => {
    const id = requestId();
    const controller = new AbortController();
    const stream = await client().chat.completions.create(
      { model: "m1", messages: ask("chunks=200,chunk-delay=50"), stream: true },
      { signal: controller.signal, headers: { "x-request-id": id } },
    );
    let received = 0;
    const reading = (async () => {
      for await (const _chunk of stream) {
        received++;
        if (received === 3) controller.abort();
      }
    })().catch((e: unknown) => e);
    // The SDK ends the iteration on a user abort (or throws its abort error): either way no
    // further chunk was delivered.
    const ended = await reading;
    if (ended !== undefined) expect(ended).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(received).toBe(3);
    const aborted = await fake.waitForAbort(ABANDONED_MS);
    expect(aborted.outcome).toBe("aborted");
    const row = await closedRow(id);
    expect(row).toMatchObject({ status: 499, errorClass: "client_closed", stream: true });
    // The upstream's usage comes in its last chunk, never reached: the row (and the caller's tpm
    // and budget) carry an estimate instead of 0 — the prompt, and a token per event relayed.
    expect(row.inputTokens).toBeGreaterThan(0);
    expect(row.outputTokens).toBeGreaterThanOrEqual(3);
    expect(row.outputTokens).toBeLessThan(200);
  });

  test("mid-stream with raw fetch, while the gateway waits 30 s for the next upstream chunk", async () => {
    const controller = new AbortController();
    const response = await rawChat(
      { messages: ask("chunks=5,chunk-delay=30000"), stream: true },
      controller.signal,
    );
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    expect(reader).toBeDefined();
    await reader?.read();
    await reader?.cancel();
    expect((await fake.waitForAbort(ABANDONED_MS)).outcome).toBe("aborted");
  });

  test("during a non-streaming request whose body is still being produced", async () => {
    const id = requestId();
    const controller = new AbortController();
    // Headers leave at once (ttfb), the JSON body only after 20 s.
    const pending = rawChat({ messages: ask("ttfb=20000") }, controller.signal, id).catch((e: unknown) => e);
    await fake.waitForRequest(1, 10_000);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect((await fake.waitForAbort(ABANDONED_MS)).outcome).toBe("aborted");
    expect(await closedRow(id)).toMatchObject({ status: 499, errorClass: "client_closed", stream: false });
  });

  test("the gateway keeps nothing in flight afterwards and still serves", async () => {
    const status = await waitFor("in-flight requests to settle", async () => {
      const response = await fetch(`${gw.url}/admin/api/status`, {
        headers: { authorization: `Bearer ${gw.adminKey}` },
      });
      const body = (await response.json()) as { inFlight: number };
      // The status request itself is the only one in flight.
      return body.inFlight === 1 ? body : undefined;
    });
    expect(status.inFlight).toBe(1);
    const reply = await client().chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(reply.choices[0]?.message.content).toBeString();
  });
});
