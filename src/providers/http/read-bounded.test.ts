import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { readBounded } from "./read-bounded.ts";

/** A body that arrives in chunks and counts how many were pulled. */
function chunked(chunks: number, size: number) {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(size).fill(97));
    },
  });
  return { response: new Response(body), pulled: () => pulled };
}

describe("readBounded", () => {
  test("reads a body within the bound whole", async () => {
    const { response } = chunked(4, 100);
    expect((await readBounded(response, 400, "p", "refuse")).byteLength).toBe(400);
  });

  test("refuses a chunked body as soon as it passes the bound, without reading the rest", async () => {
    const { response, pulled } = chunked(1000, 1024);
    const error = await readBounded(response, 10 * 1024, "p", "refuse").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(502);
    expect((error as GatewayError).message).toContain("max_upstream_body");
    expect(pulled()).toBeLessThan(20);
  });

  test("refuses a declared length over the bound before reading", async () => {
    const response = new Response("x".repeat(2048), { headers: { "content-length": "2048" } });
    await expect(readBounded(response, 1024, "p", "refuse")).rejects.toBeInstanceOf(GatewayError);
  });

  test("reads a response without a body as no bytes, declared length or not", async () => {
    const declared = new Response(null, { status: 204, headers: { "content-length": "0" } });
    expect((await readBounded(declared, 1024, "p", "refuse")).byteLength).toBe(0);
    expect((await readBounded(new Response(null, { status: 204 }), 1024, "p", "refuse")).byteLength).toBe(0);
  });

  test("cuts an error body at the bound instead of failing", async () => {
    const { response } = chunked(100, 1024);
    expect((await readBounded(response, 1500, "p", "truncate")).byteLength).toBe(1500);
  });
});
