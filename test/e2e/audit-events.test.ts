import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import type { GatewayEvent } from "../../src/audit/gateway-event.ts";
import { decodeSse } from "../../src/core/sse.ts";
import { type GatewayProcess, spawnGateway } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The live event stream /admin/api/events: traffic, config reloads, and a consumer that stops reading.
const config = (version: string) => ({
  providers: [{ name: "mock", type: "mock" }],
  models: [
    { name: "mock", routes: [{ provider: "mock", model: "mock" }] },
    { name: version, routes: [{ provider: "mock", model: "mock" }] },
  ],
});

let gw: GatewayProcess;
beforeAll(async () => {
  gw = await spawnGateway({ config: config("v1") });
});
afterAll(async () => {
  await gw?.stop();
});

/** Reads the SSE stream in the background, collecting every event until aborted. */
function listen(): { events: GatewayEvent[]; close(): void; ready: Promise<void> } {
  const events: GatewayEvent[] = [];
  const controller = new AbortController();
  const ready = fetch(`${gw.url}/admin/api/events`, {
    headers: { authorization: `Bearer ${gw.adminKey}` },
    signal: controller.signal,
  }).then((response) => {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    void (async () => {
      for await (const event of decodeSse(response.body!))
        events.push(JSON.parse(event.data) as GatewayEvent);
    })().catch(() => {});
  });
  return { events, ready, close: () => controller.abort() };
}

const chat = (id: string, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${gw.adminKey}`,
      "content-type": "application/json",
      "x-request-id": id,
      ...headers,
    },
    body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
  });

describe("/admin/api/events", () => {
  test("request.started and request.finished for traffic", async () => {
    const stream = listen();
    try {
      await stream.ready;
      // The subscription starts when the handler runs; retry until our request is seen.
      let n = 0;
      await waitFor("request events", async () => {
        expect((await chat(`ev-${n++}`)).status).toBe(200);
        return stream.events.some(
          (e) => e.type === "request.finished" && e.record.requestId.startsWith("ev-"),
        );
      });
      const finished = stream.events.find(
        (e) => e.type === "request.finished" && e.record.requestId.startsWith("ev-"),
      );
      const id = finished?.type === "request.finished" ? finished.record.requestId : "";
      const started = stream.events.find((e) => e.type === "request.started" && e.requestId === id);
      expect(started).toMatchObject({
        type: "request.started",
        model: "mock",
        frontDoor: "chat",
        stream: false,
      });
      expect(finished).toMatchObject({ type: "request.finished", record: { status: 200, model: "mock" } });
      expect(stream.events.indexOf(started!)).toBeLessThan(stream.events.indexOf(finished!));
    } finally {
      stream.close();
    }
  });

  test("config.reloaded after a valid config edit", async () => {
    const stream = listen();
    try {
      await stream.ready;
      await Bun.sleep(100);
      await gw.writeConfig(config("v2"));
      const reloaded = await waitFor(
        "config.reloaded",
        () => stream.events.find((e) => e.type === "config.reloaded"),
        15_000,
      );
      expect(reloaded.type === "config.reloaded" && reloaded.version).toBeGreaterThan(1);
    } finally {
      stream.close();
    }
  });

  test("a consumer that stops reading never slows traffic, and is told it missed events", async () => {
    // A raw socket that reads the headers, then stops reading: the kernel buffers fill and the
    // gateway's writes to it block. Each event carries a 12 KB user agent to fill them quickly.
    const socket: Socket = connect(gw.port, "127.0.0.1");
    let received = "";
    let ended = false;
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (received.includes("\r\n\r\n")) socket.pause();
    });
    socket.on("close", () => (ended = true));
    socket.on("error", () => (ended = true));
    try {
      socket.write(
        `GET /admin/api/events HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${gw.adminKey}\r\n\r\n`,
      );
      await waitFor("the event stream headers", () => received.includes("\r\n\r\n"));
      expect(received).toStartWith("HTTP/1.1 200");
      const agent = `slow-consumer-test/${"x".repeat(12 * 1024)}`;
      let n = 0;
      const statuses: number[] = [];
      const loop = async () => {
        while (n < 3000) {
          const response = await chat(`slow-${n++}`, { "user-agent": agent });
          await response.arrayBuffer();
          statuses.push(response.status);
        }
      };
      await Promise.all(Array.from({ length: 8 }, loop));
      // Every request completed while the consumer was stuck.
      expect(statuses.length).toBe(3000);
      expect(statuses.every((s) => s === 200)).toBe(true);
      // Now read again: the consumer is told it missed events (or was dropped: the stream ends).
      socket.resume();
      await Bun.sleep(3000);
      console.log("DEBUG", received.length, received.split("event: request.finished").length - 1, ended);
      await waitFor(
        "events.missed or the end of the stream",
        () => received.includes("event: events.missed") || ended,
        20_000,
      );
      const finished = received.split("event: request.finished").length - 1;
      expect(finished).toBeLessThan(3000);
    } finally {
      socket.destroy();
    }
  }, 90_000);
});
