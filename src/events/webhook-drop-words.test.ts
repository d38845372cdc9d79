import { afterEach, expect, test } from "bun:test";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { freePort } from "../testing/free-port.ts";
import { createWebhookSink } from "./webhook-sink.ts";

// What a webhook's drop line says of its cause (drop-log.ts `error`), against real receivers on
// loopback ports (webhook-sink.test.ts has the rest of the sink's behaviour).

const event = (version: number): GatewayEvent => ({ type: "config.reloaded", at: version, version });

let stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops) stop();
  stops = [];
});

test("a drop says what the last try met: the receiver's status, or why no answer came; never its body or the webhook's path", async () => {
  const drops: string[] = [];
  const onDrop = (count: number, reason: string, error?: string) =>
    void drops.push(`${count} ${reason}: ${error}`);
  // Answers carry a body a receiver may fill with anything (a token, the events): never quoted.
  const answering = (status: number) => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("body-with-sk-secret-words", { status }),
    });
    stops.push(() => server.stop(true));
    return `http://127.0.0.1:${server.port}/services/T000/B000/path-secret`;
  };
  for (const [status, maxAttempts] of [
    [401, 5],
    [503, 2],
  ] as const) {
    const sink = createWebhookSink({
      url: answering(status),
      secret: "k",
      batchSize: 1,
      backoffMs: 1,
      maxAttempts,
      onDrop,
    });
    sink.publish(event(1));
    await sink.close();
  }
  // Nothing listens there: no answer at all.
  const goneUrl = `http://127.0.0.1:${freePort()}/services/T000/B000/path-secret`;
  const refused = createWebhookSink({
    url: goneUrl,
    secret: "k",
    batchSize: 1,
    backoffMs: 1,
    maxAttempts: 1,
    onDrop,
  });
  refused.publish(event(1));
  await refused.close();
  expect(drops).toEqual([
    "1 rejected: the receiver answered 401",
    "1 retries_exhausted: the receiver answered 503",
    "1 retries_exhausted: no answer: TypeError: ECONNREFUSED: Unable to connect. Is the computer able to access the url?",
  ]);
  expect(drops.join("\n")).not.toContain("secret");
});

test("a failure that quotes the webhook's URL, as written or as fetch normalises it, says its origin alone", async () => {
  const drops: (string | undefined)[] = [];
  // What a fetch may say of the address it could not reach: the URL it was given, or the one it
  // parsed (Bun lowercases the scheme and host, drops a default port).
  for (const quoted of [(url: string) => url, (url: string) => new URL(url).href]) {
    const sink = createWebhookSink({
      url: "HTTP://LOCALHOST:80/services/T000/B000/path-secret",
      secret: "k",
      batchSize: 1,
      maxAttempts: 1,
      fetch: Object.assign(
        async (input: string | URL | Request) => {
          throw new TypeError(`could not reach ${quoted(String(input))}`);
        },
        { preconnect: fetch.preconnect },
      ),
      onDrop: (_count, _reason, error) => void drops.push(error),
    });
    sink.publish(event(1));
    await sink.close();
  }
  expect(drops).toEqual([
    "no answer: TypeError: could not reach http://localhost",
    "no answer: TypeError: could not reach http://localhost",
  ]);
});
