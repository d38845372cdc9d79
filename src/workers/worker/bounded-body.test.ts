import { expect, test } from "bun:test";
import { bytesAtMost } from "./bounded-body.ts";

test("a refusal's body is read whole up to the limit, and one that never ends is cut there and cancelled", async () => {
  expect(
    new TextDecoder().decode(await bytesAtMost(new Response('{"error":"bad key"}', { status: 401 }), 64)),
  ).toBe('{"error":"bad key"}');
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(new Uint8Array(1000).fill(120)),
    cancel: () => {
      cancelled = true;
    },
  });
  const body = await bytesAtMost(new Response(endless, { status: 500 }), 4096);
  expect(body.byteLength).toBe(4096);
  expect(cancelled).toBe(true);
});
