import { beforeAll, describe, expect, test } from "bun:test";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { ProcessOutput } from "./harness/process-output.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
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
const python = Bun.which("python3") !== null;
const SLOW_CONSUMER = `
import json, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(("GET /admin/api/events HTTP/1.1\\r\\nhost: gw\\r\\nauthorization: Bearer %s\\r\\n\\r\\n" % sys.argv[2]).encode())
print("HEADERS", s.recv(64).decode("latin1").splitlines()[0], flush=True)
sys.stdin.readline()
s.settimeout(10)
data, ended = b"", False
try:
    while b"event: events.missed" not in data:
        chunk = s.recv(65536)
        if not chunk:
            ended = True
            break
        data += chunk
except socket.timeout:
    pass
print("RESULT " + json.dumps({"missed": b"event: events.missed" in data, "ended": ended,
      "finished": data.count(b"event: request.finished")}), flush=True)
`;
const fx = gatewayFixture({ fake: null, fakeRoutes: false, config: () => config("v1") });

beforeAll(async () => {
  gw = fx.gw;
});

/** Reads the SSE stream in the background, collecting every event until closed. */
const listen = () => listenToEvents(gw);

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
      // Every status on the way is asserted once after the wait, whatever number of calls it took.
      const statuses: number[] = [];
      await waitFor("request events", async () => {
        statuses.push((await chat(`ev-${statuses.length}`)).status);
        return stream.events.some(
          (e) => e.type === "request.finished" && e.record.requestId.startsWith("ev-"),
        );
      });
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
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

  test("config.reloaded after a valid config edit, naming what only a restart applies", async () => {
    const stream = listen();
    try {
      await stream.ready;
      await gw.writeConfig(config("v2"));
      const reloaded = await waitFor(
        "config.reloaded",
        () => stream.events.find((e) => e.type === "config.reloaded"),
        15_000,
      );
      expect(reloaded.type === "config.reloaded" && reloaded.version).toBeGreaterThan(1);
      expect(reloaded).toMatchObject({ restartRequired: [] });
      await gw.writeConfig({ ...config("v3"), workers: { max_message: "2MB" } });
      const pending = await waitFor(
        "config.reloaded with a restart-only edit",
        () => stream.events.find((e) => e.type === "config.reloaded" && e.restartRequired?.length),
        15_000,
      );
      expect(pending).toMatchObject({ restartRequired: ["workers.max_message"] });
      await gw.writeConfig(config("v2"));
    } finally {
      stream.close();
    }
  });

  // Bun's node:net pause()/resume() does not resume reliably, so the stuck consumer is a tiny
  // Python client: it reads the response headers, then reads nothing until told to go on.
  test("python3 is here for the stuck consumer (a missing tool fails, never skips)", () => {
    expect(python).toBe(true);
  });

  test("a consumer that stops reading never slows traffic, and is told it missed events", async () => {
    const consumer = Bun.spawn(["python3", "-c", SLOW_CONSUMER, String(gw.port), gw.adminKey!], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = new ProcessOutput(consumer.stdout);
    try {
      await waitFor("the event stream headers", () => out.all.includes("HEADERS HTTP/1.1 200"), 15_000);
      // Each event carries a 12 KB user agent, so the socket buffers fill quickly.
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
      // Now it reads again: it is told it missed events, or it was dropped (the stream ended).
      consumer.stdin.write("go\n");
      await consumer.stdin.flush();
      const result = await waitFor("the consumer's verdict", () => out.match(/RESULT (\{.*\})/), 30_000);
      const verdict = JSON.parse(result[1]!) as { missed: boolean; ended: boolean; finished: number };
      expect(verdict.missed || verdict.ended).toBe(true);
      expect(verdict.finished).toBeLessThan(3000);
    } finally {
      consumer.kill("SIGKILL");
      await consumer.exited;
    }
  }, 90_000);
});
