import { afterEach, expect, test } from "bun:test";
import { CloseCode } from "../protocol.ts";
import { openRawWorker } from "../testing/raw-worker.ts";
import { startGateway } from "../testing/tunnel-harness.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test("a worker's messages reach its connection without Elysia's per-message wrapper", async () => {
  const gateway = startGateway();
  cleanups.push(() => gateway.stop());
  const worker = await openRawWorker(gateway.port);
  cleanups.push(() => worker.socket.close());
  // Text frames (register, parsed by the connection itself) and a round trip after them.
  const registered = await worker.register(["llama-small"], "gpu-1", { batch: true, bodyText: true });
  expect(registered.type).toBe("registered");
  worker.send({ type: "heartbeat", at: Date.now() });
  await worker.roundTrip();
  expect(worker.closed).toBeUndefined();
  // Elysia (the pinned version) keeps each connection's handlers where the endpoint replaces them.
  expect(gateway.logs.map((line) => line.message)).not.toContain(
    "worker messages take Elysia's own path (its socket data has no message handler)",
  );
});

test("a text frame that is not JSON still closes the connection as a protocol error", async () => {
  const gateway = startGateway();
  cleanups.push(() => gateway.stop());
  const worker = await openRawWorker(gateway.port);
  await worker.register(["llama-small"], "gpu-1");
  worker.socket.send("not json");
  expect((await worker.waitClosed()).code).toBe(CloseCode.protocolError);
});
