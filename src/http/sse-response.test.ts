import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import { sseResponse } from "./sse-response.ts";

async function* events(list: SseEvent[]): AsyncGenerator<SseEvent> {
  yield* list;
}

/** Reads the whole body and reports how the stream said it ended. */
async function run(list: SseEvent[], dialect: "openai" | "anthropic" = "openai") {
  let ended: { error: GatewayError | undefined } | undefined;
  const response = sseResponse(
    events(list),
    dialect,
    {},
    () => {},
    (error) => {
      ended = { error };
    },
  );
  const text = await response.text();
  return { text, ended };
}

describe("sseResponse", () => {
  test("a clean stream ends without an error", async () => {
    const { text, ended } = await run([{ data: '{"choices":[]}' }, { data: "[DONE]" }]);
    expect(text).toBe('data: {"choices":[]}\n\ndata: [DONE]\n\n');
    expect(ended).toEqual({ error: undefined });
  });

  test("an error event relayed mid-stream is reported as a failure (the HTTP status stays 200)", async () => {
    const anthropic = await run(
      [
        { event: "message_start", data: '{"type":"message_start"}' },
        { event: "error", data: '{"type":"error","error":{"type":"overloaded_error","message":"x"}}' },
      ],
      "anthropic",
    );
    expect(anthropic.ended?.error?.status).toBe(502);
    expect(anthropic.ended?.error?.code).toBe("upstream_error");
    const openai = await run([{ data: '{"choices":[]}' }, { data: '{"error":{"message":"x"}}' }]);
    expect(openai.ended?.error?.status).toBe(502);
  });
});
