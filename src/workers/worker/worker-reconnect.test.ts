import { expect, test } from "bun:test";
import { freePort } from "../../testing/free-port.ts";
import { waitFor, waitForValue } from "../../testing/wait-for.ts";
import { cleanupsAfterEach, fakeGateway } from "../testing/fake-gateway.ts";
import { startGateway } from "../testing/tunnel-harness.ts";
import type { WorkerLog } from "../worker-log.ts";
import { type RunWorkerOptions, runWorker } from "./worker-client.ts";

// How a worker comes back to a gateway that closed its connection: how soon, and what it says.

const cleanup = cleanupsAfterEach();

type Line = { level: string; message: string; fields?: Record<string, unknown> };

/**
 * A worker of `connect` (its models given, so its upstream, where nothing listens, is never asked), its reconnect waits
 * the ceiling of each attempt's jitter (`random` ~1) from 1 ms, `settings` over that; its lines kept.
 */
function startWorker(connect: string, settings: Partial<RunWorkerOptions> = {}) {
  const lines: Line[] = [];
  const log: WorkerLog = (level, message, fields) =>
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  const stop = new AbortController();
  const exit = runWorker({
    connect,
    token: "worker-key",
    upstream: `http://127.0.0.1:${freePort()}/v1`,
    models: ["llama-small"],
    concurrency: 4,
    name: "gpu-1",
    labels: {},
    responsesApi: false,
    log,
    handleSignals: false,
    stop: stop.signal,
    backoff: { baseMs: 1, capMs: 1_000, random: () => 0.999 },
    ...settings,
  });
  cleanup(async () => {
    stop.abort();
    await exit;
  });
  return lines;
}

test("a gateway that closes each connection as soon as it registered it is reconnected to with a growing backoff; one that stayed up as long as the longest wait resets it", async () => {
  const gw = fakeGateway({ batch: true, binaryAnswers: true }, cleanup);
  // The monotonic clock the worker times a connection's time up on: it moves only when the test moves it.
  let clock = 0;
  const lines = startWorker(gw.url, { now: () => clock });
  const registered = () => lines.filter((line) => line.message === "registered with the gateway").length;
  const waits = () =>
    lines.filter((line) => line.message.endsWith("; reconnecting")).map((l) => l.fields?.in_ms);
  /** Registration `n` seen, the connection up `upMs`, then closed by the gateway: the wait the worker then takes. */
  async function closeAfter(n: number, upMs: number) {
    await waitFor(`registration ${n}`, () => registered() === n, 15_000);
    clock += upMs;
    gw.close(1011, "internal error");
    return waitForValue(`reconnect ${n}`, () => waits()[n - 1], 15_000);
  }
  // Each connection ended at once: 2 ms, 4 ms, 8 ms ceilings (never back to the first 1 ms).
  expect(await closeAfter(1, 0)).toBe(1);
  expect(await closeAfter(2, 0)).toBe(3);
  expect(await closeAfter(3, 10)).toBe(7);
  // Up as long as the cap (1 s): a connection that held, then lost; back to the first wait.
  expect(await closeAfter(4, 1_000)).toBe(0);
  expect(await closeAfter(5, 0)).toBe(1);
});

test("failures to list the upstream's models do not count as reconnects: the first connection lost after them waits the first wait", async () => {
  // An upstream that answers its first three listings 503 (loading), then lists its model.
  let listings = 0;
  const upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      ++listings <= 3
        ? Response.json({ error: { message: "loading" } }, { status: 503 })
        : Response.json({ object: "list", data: [{ id: "llama-small", object: "model" }] }),
  });
  cleanup(() => void upstream.stop(true));
  const gw = fakeGateway({ batch: true, binaryAnswers: true }, cleanup);
  const lines = startWorker(gw.url, { models: [], upstream: `${upstream.url.href}v1`, now: () => 0 });
  await waitFor(
    "registration",
    () => lines.some((line) => line.message === "registered with the gateway"),
    15_000,
  );
  // The listing's own backoff grew as it failed: waits of 0, 1 and 3 ms (ceilings 1, 2, 4 ms).
  const listingWaits = lines
    .filter((line) => line.message.endsWith("; retrying"))
    .map((l) => l.fields?.in_ms);
  expect(listingWaits).toEqual([0, 1, 3]);
  gw.close(1011, "internal error");
  const wait = await waitForValue(
    "the reconnect",
    () => lines.find((line) => line.message.endsWith("; reconnecting"))?.fields?.in_ms,
    15_000,
  );
  // The first connection lost: the first wait's ceiling (2 ms), not the fourth failure's (16 ms).
  expect(wait).toBe(1);
});

test("the gateway's planned close as it stops (1001) is said at info; a close it did not plan, at warn", async () => {
  const gateway = startGateway();
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= gateway.stop();
    return stopped;
  };
  cleanup(stop);
  const lines = startWorker(`ws://127.0.0.1:${gateway.port}`);
  await waitFor("registration", () => gateway.registry.serves("llama-small"), 15_000);
  await stop();
  const planned = await waitForValue(
    "the reconnect after the gateway's stop",
    () => lines.find((line) => line.message.endsWith("; reconnecting")),
    15_000,
  );
  expect(planned).toMatchObject({
    level: "info",
    message: "the gateway closed the connection as it went away (a stop or restart); reconnecting",
    fields: { code: 1001, reason: "gateway shutting down" },
  });

  const gw = fakeGateway({ batch: true, binaryAnswers: true }, cleanup);
  const unplanned = startWorker(gw.url);
  await waitFor(
    "registration",
    () => unplanned.some((line) => line.message === "registered with the gateway"),
    15_000,
  );
  gw.close(1011, "internal error");
  const lost = await waitForValue(
    "the reconnect after an unplanned close",
    () => unplanned.find((line) => line.message.endsWith("; reconnecting")),
    15_000,
  );
  expect(lost).toMatchObject({
    level: "warn",
    message: "connection to the gateway lost; reconnecting",
    fields: { code: 1011, reason: "internal error" },
  });
});

test("an upstream that cannot say whether it serves the Responses API is said to be so, and why: refused, or answering with an error", async () => {
  const gw = fakeGateway({ batch: true, binaryAnswers: true }, cleanup);
  // Its models given, the probe is the only call a starting worker makes to its upstream: before,
  // a wrong --upstream (or a model server still down) read only "could not tell whether the
  // upstream serves the Responses API; asking again", never that it could not be reached.
  const nothingListens = `http://127.0.0.1:${freePort()}/v1`;
  const closed = startWorker(gw.url, { responsesApi: undefined, upstream: nothingListens });
  const refused = await waitForValue("the probe's line", () =>
    closed.find((line) => line.message.startsWith("could not tell whether the upstream serves")),
  );
  expect(refused).toEqual({
    level: "warn",
    message:
      "could not tell whether the upstream serves the Responses API: connection refused (ECONNREFUSED); asking again",
    fields: { upstream: `${nothingListens}/responses` },
  });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response("down", { status: 503 }),
  });
  cleanup(() => server.stop(true));
  const failing = startWorker(gw.url, {
    responsesApi: undefined,
    upstream: `http://127.0.0.1:${server.port}/v1`,
  });
  const answered = await waitForValue("the probe's line", () =>
    failing.find((line) => line.message.startsWith("could not tell whether the upstream serves")),
  );
  expect(answered?.message).toBe(
    "could not tell whether the upstream serves the Responses API: it answered 503; asking again",
  );
});
