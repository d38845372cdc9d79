import { describe, expect, test } from "bun:test";
import WebSocket from "ws";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// A Responses WebSocket message is a body as a POST's is, and as deep a one is refused: Elysia
// hands the message over parsed, and serialising it again (the turn's POST, its size among the
// turns waiting) overflowed the stack after seconds of the event loop held — every request of
// every caller stalled — and the turn came back a 502 "Maximum call stack size exceeded.".
const f = gatewayFixture();

type Event = { type: string; status?: number; error?: { code?: string | null; message?: string } };

describe("a Responses WebSocket message nested deeper than a body may be", () => {
  test("is refused as the POST's body is (400 invalid_json), and the connection goes on", async () => {
    const socket = new WebSocket(`${f.gw.url.replace(/^http/, "ws")}/v1/responses`, {
      headers: bearer(f.adminKey),
    });
    const events: Event[] = [];
    socket.on("message", (data) => events.push(JSON.parse(String(data)) as Event));
    try {
      await waitFor("the socket open", () => (socket.readyState === WebSocket.OPEN ? true : undefined));
      const depth = 100_000;
      socket.send(
        `{"type":"response.create","model":"fake-model","input":"hi","metadata":{"deep":${"[".repeat(depth)}${"]".repeat(depth)}}}`,
      );
      const refused = await waitFor("the refusal", () => events[0], 30_000);
      expect(refused).toMatchObject({
        type: "error",
        status: 400,
        error: { code: "invalid_json", message: "request body nests deeper than 256 levels" },
      });
      socket.send(JSON.stringify({ type: "response.create", model: "fake-model", input: "hi" }));
      await waitFor("the next turn's end", () => events.find((e) => e.type === "response.completed"));
    } finally {
      socket.close();
    }
  });
});
