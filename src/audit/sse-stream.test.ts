import { expect, test } from "bun:test";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import { waitFor } from "../testing/wait-for.ts";
import { EventBus } from "./event-bus.ts";
import { sseStream } from "./sse-stream.ts";

const decoder = new TextDecoder();

async function readText(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const next = await reader.read();
  return next.done ? "" : decoder.decode(next.value);
}

test("an opening comment goes out at once, before any event", async () => {
  const bus = new EventBus();
  const reader = sseStream(bus.subscribe()).getReader();
  expect(await readText(reader)).toBe(": connected\n\n");
  await reader.cancel();
});

test("with `opensAfter`, nothing goes out before it settles; events published meanwhile follow the opening comment", async () => {
  const bus = new EventBus();
  let open = () => {};
  const opensAfter = new Promise<undefined>((resolve) => {
    open = () => resolve(undefined);
  });
  let opened = false;
  const reader = sseStream(bus.subscribe(), { opensAfter }).getReader();
  const first = reader.read().then((next) => {
    expect(opened).toBe(true);
    return next.done ? "" : decoder.decode(next.value);
  });
  bus.publish({ type: "config.reloaded", at: 1, version: 7 });
  await yieldToLoop();
  opened = true;
  open();
  expect(await first).toBe(": connected\n\n");
  expect(await readText(reader)).toContain('"version":7');
  await reader.cancel();
});

test("cancelled while it waits to open, the stream unsubscribes and never opens", async () => {
  const bus = new EventBus();
  let open = () => {};
  const opensAfter = new Promise<undefined>((resolve) => {
    open = () => resolve(undefined);
  });
  const reader = sseStream(bus.subscribe(), { opensAfter }).getReader();
  const pending = reader.read();
  await reader.cancel();
  open();
  expect((await pending).done).toBe(true);
  await waitFor("the subscriber to leave the bus", () => bus.size === 0, 1000);
});

test("events are framed as SSE with the type as the event name", async () => {
  const bus = new EventBus();
  const reader = sseStream(bus.subscribe()).getReader();
  await readText(reader); // the opening comment
  bus.publish({ type: "config.rejected", at: 1, error: "line 1\nline 2" });
  expect(await readText(reader)).toBe(
    `event: config.rejected\ndata: ${JSON.stringify({ type: "config.rejected", at: 1, error: "line 1\nline 2" })}\n\n`,
  );
  await reader.cancel();
});

test("a keep-alive comment is sent while idle", async () => {
  const bus = new EventBus();
  const reader = sseStream(bus.subscribe(), { keepAliveMs: 5 }).getReader();
  await readText(reader); // the opening comment
  expect(await readText(reader)).toBe(": keep-alive\n\n");
  await reader.cancel();
});

test("cancelling the stream (client gone) unsubscribes", async () => {
  const bus = new EventBus();
  const reader = sseStream(bus.subscribe()).getReader();
  const pending = reader.read();
  expect(bus.size).toBe(1);
  await reader.cancel();
  await pending;
  await waitFor("the subscriber to leave the bus", () => bus.size === 0, 1000);
});

test("a dropped subscription ends the stream", async () => {
  let now = 0;
  const bus = new EventBus(() => now);
  const sub = bus.subscribe({ bufferSize: 1, maxLagMs: 10 });
  const reader = sseStream(sub).getReader();
  await readText(reader); // the opening comment
  bus.publish({ type: "config.reloaded", at: 0, version: 1 });
  expect(await readText(reader)).toContain("config.reloaded");
  // The reader stops pulling: the buffer fills, then stays full past maxLagMs.
  for (let i = 0; i < 3; i++) bus.publish({ type: "config.reloaded", at: 0, version: 2 + i });
  now = 100;
  bus.publish({ type: "config.reloaded", at: 100, version: 9 });
  expect(sub.closeReason).toBe("dropped");
  // Whatever was already queued in the stream may still come; then how many were lost, and the end.
  let rest = "";
  for (let i = 0; i < 6; i++) {
    const chunk = await reader.read();
    if (chunk.done) break;
    rest += decoder.decode(chunk.value);
  }
  expect(rest).toEndWith('event: events.missed\ndata: {"type":"events.missed","at":100,"count":3}\n\n');
  expect((await reader.read()).done).toBe(true);
});
