import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";
import { waitFor, waitForValue } from "../../testing/wait-for.ts";
import { MAX_WAITING_TURNS } from "./waiting-turns.ts";

// The Responses WebSocket mode's audit rows: one for the upgrade (101), one for each
// `response.create` the connection took, however its turn ended.
const BunWebSocket = WebSocket as unknown as new (url: string, options: Bun.WebSocketOptions) => WebSocket;
const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 7, model: "up", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const dir = mkdtempSync(join(tmpdir(), "mindgw-socket-rows-"));
let upstream: ReturnType<typeof Bun.serve>;
let gateway: Gateway;
let finished: AuditRecord[];
let adminKey = "";
let port = 0;
/** The held upstream streams' ends, run at the end so no body outlives the file. */
const held: (() => void)[] = [];

beforeAll(async () => {
  // Every answer streams its first text, then holds until the test ends.
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(chunk("Hello")));
            held.push(() => {
              try {
                controller.close();
              } catch {
                // Its client left first: the gateway cancelled the body.
              }
            });
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      ),
  });
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [{ name: "up", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: [{ name: "held", routes: [{ provider: "up", model: "held" }] }],
    routing: { retries: 0 },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  port = gateway.listen("127.0.0.1", 0).port;
});

/** A socket on the Responses WebSocket mode, open, and the events it has been sent so far. */
async function openSocket(): Promise<{ socket: WebSocket; events: { type: string; status?: number }[] }> {
  const socket = new BunWebSocket(`ws://127.0.0.1:${port}/v1/responses`, {
    headers: { authorization: `Bearer ${adminKey}`, "openai-beta": "responses_websockets=2026-02-06" },
  });
  const events: { type: string; status?: number }[] = [];
  socket.addEventListener("message", (message) => events.push(JSON.parse(String(message.data))));
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve);
    socket.addEventListener("error", reject);
  });
  return { socket, events };
}

afterAll(async () => {
  for (const end of held.splice(0)) end();
  await gateway.stop();
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("a turn waiting behind one that streams when the client closes the socket: both turns leave a row, 499", async () => {
  const { socket, events } = await openSocket();
  const before = finished.length;
  const turn = (input: string) =>
    socket.send(JSON.stringify({ type: "response.create", model: "held", input }));
  turn("the first");
  await waitFor("the first turn's text", () =>
    events.some((event) => event.type === "response.output_text.delta"),
  );
  // In the same (default) lane: it waits for the first to end.
  turn("the second");
  socket.close(1000, "leaving");
  await waitFor(
    "both turns' rows",
    () => finished.slice(before).filter((row) => row.frontDoor === "responses").length >= 2,
  );
  const rows = finished.slice(before).filter((row) => row.frontDoor === "responses");
  expect(rows.map((row) => [row.status, row.errorClass, row.model, row.keyName])).toEqual([
    [499, "client_closed", "held", "bootstrap-admin"],
    [499, "client_closed", "held", "bootstrap-admin"],
  ]);
  expect(new Set(rows.map((row) => row.requestId)).size).toBe(2);
});

test("a turn past the connection's bound is refused with a 429 error event and leaves a row, 429 with its caller, model and reason", async () => {
  const { socket, events } = await openSocket();
  const before = finished.length;
  const turn = (input: string) =>
    socket.send(JSON.stringify({ type: "response.create", model: "held", input }));
  turn("the first");
  await waitFor("the first turn's text", () =>
    events.some((event) => event.type === "response.output_text.delta"),
  );
  // As many as may wait behind it, then one more: that one is refused at once.
  for (let waiting = 0; waiting < MAX_WAITING_TURNS; waiting++) turn(`waiting ${waiting}`);
  turn("one too many");
  await waitFor("the refusal's error event", () => events.some((event) => event.type === "error"));
  expect(events.find((event) => event.type === "error")?.status).toBe(429);
  const refusedRow = await waitForValue("the refused turn's row", () =>
    finished.slice(before).find((row) => row.frontDoor === "responses" && row.status === 429),
  );
  expect([refusedRow.errorClass, refusedRow.model, refusedRow.keyName]).toEqual([
    "rate_limited",
    "held",
    "bootstrap-admin",
  ]);
  expect(refusedRow.errorMessage).toContain("too many turns waiting on this connection");
  socket.close(1000, "leaving");
  // The first (cancelled), the ones that waited (never run) and the refused one: a row each.
  await waitFor(
    "every turn's row",
    () =>
      finished.slice(before).filter((row) => row.frontDoor === "responses").length >= MAX_WAITING_TURNS + 2,
  );
  const statuses = finished
    .slice(before)
    .filter((row) => row.frontDoor === "responses")
    .map((row) => row.status);
  expect(statuses.filter((status) => status === 499).length).toBe(MAX_WAITING_TURNS + 1);
  expect(statuses.filter((status) => status === 429).length).toBe(1);
});

test("a message refused as it came leaves a row, 400, naming the model it asked for", async () => {
  const { socket, events } = await openSocket();
  const before = finished.length;
  socket.send(JSON.stringify({ type: "response.create", model: "held", input: "x", temperature: "hot" }));
  await waitFor("the refusal's error event", () => events.some((event) => event.type === "error"));
  const row = await waitForValue("the refused message's row", () =>
    finished.slice(before).find((each) => each.frontDoor === "responses" && each.status === 400),
  );
  expect([row.errorClass, row.model, row.keyName]).toEqual(["invalid_request", "held", "bootstrap-admin"]);
  socket.close(1000, "leaving");
});
