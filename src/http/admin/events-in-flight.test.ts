import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import { callAs, recordingGateway } from "../../testing/recording-gateway.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// Live event streams (`mindgw tail`, the web UI live) through the real gateway in-process: they
// are no requests in flight (OBSERVABILITY.md: what a drain waits for; the bound; the upstream
// client's choice), yet a stop still closes them and writes their rows.

const dir = mkdtempSync(join(tmpdir(), "mindgw-events-in-flight-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  while (!(await reader.read()).done);
}

test("open event streams are not requests in flight: not in the metric, not against the bound; a stop ends them and records each", async () => {
  const { gateway, adminKey, finished } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      server: { max_concurrent_requests: 2 },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  );
  const get = (path: string) =>
    gateway.handle(
      new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${adminKey}` } }),
    );
  const streams: { id: string; reader: ReadableStreamDefaultReader<Uint8Array> }[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const response = await get("/admin/api/events");
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read(); // ": connected"
      streams.push({ id: response.headers.get("x-request-id") ?? "", reader });
    }
    // The scrape itself is the one request in flight.
    expect(await (await get("/metrics")).text()).toContain("\nmindgw_requests_in_flight 1\n");
    expect(await (await get("/admin/api/status")).json()).toMatchObject({ inFlight: 1 });
    // Three streams open and a bound of two: a model call is still served.
    const chat = await callAs(gateway, adminKey, "POST", "/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chat.status).toBe(200);
  } finally {
    // Read to their ends, as their clients' sockets are: the stop closes them.
    const ended = Promise.all(streams.map(({ reader }) => readToEnd(reader)));
    await gateway.stop();
    await ended;
  }
  const rows = await waitForValue("the streams' rows", () => {
    const ids = new Set(streams.map((s) => s.id));
    const found = finished.filter((record) => ids.has(record.requestId));
    return found.length === streams.length ? found : undefined;
  });
  expect(rows.map((row) => [row.frontDoor, row.status])).toEqual(Array(3).fill(["admin", 200]));
});

test("live event streams have their own bound: past server.max_event_streams a 503 over_capacity, counted in mindgw_event_streams_open", async () => {
  const { gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "bound.db") },
      server: { max_event_streams: 2 },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  );
  const get = (path: string) =>
    gateway.handle(
      new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${adminKey}` } }),
    );
  const openGauge = async () =>
    /\nmindgw_event_streams_open (\d+)\n/.exec(await (await get("/metrics")).text())?.[1];
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const open = async () => {
    const response = await get("/admin/api/events");
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // ": connected"
    readers.push(reader);
    return reader;
  };
  try {
    const first = await open();
    await open();
    expect(await openGauge()).toBe("2");
    const refused = await get("/admin/api/events");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({
      error: { code: "over_capacity", message: expect.stringContaining("server.max_event_streams") },
    });
    // The refused one holds nothing: the scrape is the one request in flight.
    expect(await (await get("/metrics")).text()).toContain("\nmindgw_requests_in_flight 1\n");
    // One ends, and its place is taken again.
    await first.cancel();
    await waitForValue("a stream's end counted", async () => (await openGauge()) === "1");
    await open();
    expect(await openGauge()).toBe("2");
  } finally {
    const ended = Promise.all(readers.map((reader) => readToEnd(reader).catch(() => {})));
    await gateway.stop();
    await ended;
  }
});

test("a drain deadline that passes names the live event streams still open beside the requests in flight", async () => {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  const { gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "deadline.db") },
      server: { drain_timeout: "50ms" },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    logger,
  );
  const response = await gateway.handle(
    new Request("http://localhost/admin/api/events", { headers: { authorization: `Bearer ${adminKey}` } }),
  );
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read(); // ": connected"; then never read again, as a stalled client's socket
  await gateway.stop();
  expect(warnings.filter((line) => line.startsWith("drain deadline"))).toEqual([
    "drain deadline (50 ms) passed with 0 requests in flight and 1 live event streams open",
  ]);
  await reader.cancel();
});
