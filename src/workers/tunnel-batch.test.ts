import { describe, expect, test } from "bun:test";
import { BATCH_KIND, decodeBatch, encodeBatch } from "./batch-frame.ts";
import { CHUNK_KIND } from "./chunk-frame.ts";
import { CloseCode, type GatewayFrame } from "./protocol.ts";
import { cleanupsAfterEach, fakeGateway, startWorker } from "./testing/fake-gateway.ts";
import { startFakeUpstream } from "./testing/fake-upstream.ts";
import { openRawWorker } from "./testing/raw-worker.ts";
import { startGateway, type TestGateway, waitFor } from "./testing/tunnel-harness.ts";

// Batch messages are used only between peers that both said they read them; each side still
// talks frame by frame to an older peer (docs/worker-protocol.md, "Batch message").
const cleanup = cleanupsAfterEach();

function gateway(): TestGateway {
  const g = startGateway();
  cleanup(() => g.stop());
  return g;
}

const call = (g: TestGateway) =>
  g.call({ body: { model: "llama-small", messages: [] } }).then(
    (reply) => reply,
    (error: unknown) => error,
  );

describe("batch messages on the tunnel", () => {
  test("requests opened in one turn reach a worker that reads batches in one message, an older worker as text frames", async () => {
    const g = gateway();
    const old = await openRawWorker(g.port);
    const registered = await old.register(["llama-small"], "old");
    expect(registered).toEqual(expect.objectContaining({ type: "registered", batch: true }));
    const toOld = [call(g), call(g), call(g)];
    await waitFor("three requests", () => old.frames.filter((f) => f.type === "request").length === 3);
    expect(old.binary).toEqual([]);
    old.socket.close();
    await Promise.all(toOld);
    await waitFor("the old worker to be removed", () => g.registry.list().length === 0);

    const current = await openRawWorker(g.port);
    await current.register(["llama-small"], "current", { batch: true });
    const toCurrent = [call(g), call(g), call(g)];
    await waitFor("three requests", () => current.frames.filter((f) => f.type === "request").length === 3);
    expect(current.binary).toHaveLength(1);
    const inBatch = decodeBatch(current.binary[0] as Uint8Array);
    expect(Array.isArray(inBatch) && inBatch.map((f) => typeof f === "string")).toEqual([true, true, true]);
    current.socket.close();
    await Promise.all(toCurrent);
  });

  test("a worker's batch answers a call: head, body and end in one message; a bad batch closes the connection", async () => {
    const g = gateway();
    const raw = await openRawWorker(g.port);
    await raw.register(["llama-small"], "raw", { batch: true });
    const pending = g.call({ body: { model: "llama-small", messages: [] } });
    const request = await raw.next("request");
    const id = request.id;
    const body =
      '{"id":"x","object":"chat.completion","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}';
    raw.send(
      encodeBatch([
        JSON.stringify({ type: "head", id, status: 200, contentType: "application/json" }),
        { id: Number(id), bytes: new TextEncoder().encode(body) },
        JSON.stringify({ type: "end", id }),
      ]),
    );
    const reply = await pending;
    expect(reply.kind).toBe("json");
    if (reply.kind === "json") expect(reply.body).toEqual(JSON.parse(body));

    raw.send(Uint8Array.of(BATCH_KIND, 0, 0, 0, 9, 0x7b));
    expect((await raw.waitClosed()).code).toBe(CloseCode.protocolError);
  });
});

const request = (id: string, stream: boolean): GatewayFrame => ({
  type: "request",
  id,
  requestId: `r${id}`,
  path: "/chat/completions",
  body: { model: "llama-small", messages: [], stream },
  stream,
  window: 256 * 1024,
});

describe("a worker and the gateway it dials", () => {
  for (const readsBatches of [false, true])
    test(`a gateway that ${readsBatches ? "reads" : "does not read"} batches gets ${readsBatches ? "a reply's frames together" : "frames one by one"}`, async () => {
      const upstream = startFakeUpstream();
      cleanup(() => upstream.stop());
      const gw = fakeGateway({ batch: readsBatches, binaryAnswers: false }, cleanup);
      startWorker(gw.url, `${upstream.url}/v1`, cleanup);
      await waitFor("the worker to register", () => gw.register() !== undefined);
      expect(gw.control()[0]).toEqual(expect.objectContaining({ type: "register", batch: true }));
      gw.send(JSON.stringify(request("1", false)));
      gw.send(JSON.stringify(request("2", true)));
      await waitFor("both answers to end", () => gw.control().filter((f) => f.type === "end").length === 2);
      const kinds = gw.received.map((m) => (typeof m === "string" ? "text" : m[0]));
      if (readsBatches) expect(kinds).toContain(BATCH_KIND);
      else for (const kind of kinds) expect(kind === "text" || kind === CHUNK_KIND).toBe(true);
    });
});
