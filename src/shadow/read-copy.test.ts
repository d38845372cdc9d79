import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { readCopy } from "./read-copy.ts";

const encoder = new TextEncoder();
const target = (stream: boolean) => ({
  label: "provider:twin",
  dialect: "openai" as const,
  operation: "chat" as const,
  stream,
});

/** An answer whose body sends `first`, then breaks as a dropped connection does. */
function cutAnswer(first: string, contentType: string): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) controller.error(new TypeError("The socket connection was closed unexpectedly"));
      else controller.enqueue(encoder.encode(first));
      sent = true;
    },
  });
  return new Response(body, { headers: { "content-type": contentType } });
}

const failureOf = (answer: Response, stream: boolean, signal = new AbortController().signal) =>
  readCopy(answer, target(stream), signal, { started: performance.now(), ttftMs: null }).then(
    () => undefined,
    (error: unknown) => error,
  );

describe("readCopy", () => {
  test("a stream the upstream cuts mid-way is its failure (502 upstream_error), not the gateway's 500", async () => {
    const error = await failureOf(cutAnswer('data: {"choices":[]}\n\n', "text/event-stream"), true);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect((error as GatewayError).message).toContain("upstream twin closed the connection mid-stream");
  });

  test("so is a whole body cut mid-way", async () => {
    const error = await failureOf(cutAnswer('{"choices":', "application/json"), false);
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
  });

  test("a copy cut by its own signal keeps the reason it was given", async () => {
    const controller = new AbortController();
    controller.abort(new Error("shadow deadline"));
    const error = await failureOf(
      cutAnswer('data: {"choices":[]}\n\n', "text/event-stream"),
      true,
      controller.signal,
    );
    expect(error).not.toBeInstanceOf(GatewayError);
  });
});
