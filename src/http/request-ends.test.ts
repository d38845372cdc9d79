import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { parseConfig } from "../config/load-config.ts";
import { onceATurn } from "../core/once-a-turn.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { waitFor } from "../testing/wait-for.ts";
import { RequestEnds } from "./request-ends.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-ends-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("queued ends are reported once, in order, on the next turn; flush reports them at once", async () => {
  const reported: string[] = [];
  const failures: unknown[] = [];
  const ends = new RequestEnds((error) => failures.push(error));
  const end = (name: string) => ({ report: () => reported.push(name) });
  ends.add(end("a"));
  ends.add({
    report() {
      throw new Error("an observer failed");
    },
  });
  ends.add(end("b"));
  expect(reported).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(reported).toEqual(["a", "b"]);
  expect(failures).toHaveLength(1);
  ends.add(end("c"));
  ends.flush();
  expect(reported).toEqual(["a", "b", "c"]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(reported).toEqual(["a", "b", "c"]);
});

test("a failure handler that throws too (an embedder's logger) keeps no other end from its report", async () => {
  const reported: string[] = [];
  const ends = new RequestEnds(() => {
    throw new Error("log shipper down");
  });
  const failing = {
    report() {
      throw new Error("the access line failed");
    },
  };
  ends.add({ report: () => reported.push("a") });
  ends.add(failing);
  ends.add({ report: () => reported.push("b") });
  ends.add(failing);
  ends.add({ report: () => reported.push("c") });
  // Nothing escapes the pass, which would have dropped the rest of the queue.
  await new Promise((resolve) => setImmediate(resolve));
  expect(reported).toEqual(["a", "b", "c"]);
});

test("an end queued while the turn's ends are reported is reported in the same pass", async () => {
  // A whole stream's end (usage, spend) runs with the turn's ends and then ends its record: both
  // before the loop next reads a request.
  const reported: string[] = [];
  const ends = new RequestEnds((error) => {
    throw error;
  });
  ends.add({
    report() {
      reported.push("stream");
      ends.add({ report: () => reported.push("its record") });
    },
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(reported).toEqual(["stream", "its record"]);
});

test("what a report hands to the turn's end (a traced request's spans) runs in the same pass", async () => {
  const order: string[] = [];
  const writeSpans = onceATurn(() => order.push("spans written"));
  const ends = new RequestEnds((error) => {
    throw error;
  });
  ends.add({
    report() {
      order.push("reported");
      writeSpans();
    },
  });
  // Armed after the end: runs once the turn's end pass is over, before the loop polls again.
  await new Promise((resolve) => setImmediate(resolve));
  expect(order).toEqual(["reported", "spans written"]);
});

test("a request's end is reported after its answer is written, before the next request is read", async () => {
  const events: { type: GatewayEvent["type"]; requestId: string; pending: number }[] = [];
  let server: { pendingRequests: number } | undefined;
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, "ends.db") },
      auth: { bootstrap_admin: false },
      log: { level: "error" },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    auth: async () => ({ ...jwtCaller, name: "caller", tenant: "acme" }),
    events: [
      {
        publish(event) {
          if (event.type === "request.started")
            events.push({
              type: event.type,
              requestId: event.requestId,
              pending: server?.pendingRequests ?? -1,
            });
          if (event.type === "request.finished")
            events.push({
              type: event.type,
              requestId: event.record.requestId,
              pending: server?.pendingRequests ?? -1,
            });
        },
      },
    ],
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  server = gateway.app.server ?? undefined;
  let stopped = false;
  try {
    const call = (id: string) =>
      fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer any", "content-type": "application/json", "x-request-id": id },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      });
    for (const id of ["one", "two"]) expect((await call(id)).status).toBe(200);
    await waitFor("the second request reported", () => events.length === 4);
    expect(events).toEqual([
      { type: "request.started", requestId: "one", pending: 1 },
      // Bun holds a request pending until its response is written.
      { type: "request.finished", requestId: "one", pending: 0 },
      { type: "request.started", requestId: "two", pending: 1 },
      { type: "request.finished", requestId: "two", pending: 0 },
    ]);
    // A request answered just before a stop is reported before the stop closes the audit log.
    expect((await call("three")).status).toBe(200);
    stopped = true;
    await gateway.stop();
    expect(events.at(-1)).toEqual({ type: "request.finished", requestId: "three", pending: 0 });
  } finally {
    if (!stopped) await gateway.stop();
  }
});
