import { expect, test } from "bun:test";
import { GATEWAY_EVENT_TYPES } from "../audit/gateway-event.ts";
import { parseConfig } from "../config/load-config.ts";
import { freePort } from "../testing/free-port.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { sinksFromConfig } from "./config-sinks.ts";
import { SinkDrops } from "./sink-drops.ts";

const withSinks = (events: object) =>
  parseConfig(
    {
      providers: [{ name: "a", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
      models: [{ name: "m", routes: [{ provider: "a", model: "x" }] }],
      events,
    },
    {},
  );

const hook = (types: string[]) => ({ url: "https://hooks.example/in", secret: "0123456789abcdef", types });

test("a sink's types filter that names no event type is refused at load, naming the field", () => {
  // A typo would otherwise match nothing, silently: the sink would never hear of a restart-only edit.
  expect(() => withSinks({ webhooks: [hook(["config.reloaded", "config.restart-required"])] })).toThrow(
    /events\.webhooks\[0\]\.types\[1\]/,
  );
  expect(() => withSinks({ redis_stream: { url: "redis://127.0.0.1:1", types: ["worker.gone"] } })).toThrow(
    /events\.redis_stream\.types\[0\]/,
  );
});

test("every event type the gateway sends may be named, config.restart_required among them", () => {
  const config = withSinks({ webhooks: [hook([...GATEWAY_EVENT_TYPES])] });
  expect(config.events.webhooks[0]?.types).toContain("config.restart_required");
});

test("each sink's drop lines carry its `sink` name, as the dropped-events metric labels it", async () => {
  const { logger, lines } = recordingLogger();
  const drops = new SinkDrops();
  // Nothing listens at either: no event is delivered, whatever the timing.
  const webhook = `http://127.0.0.1:${freePort()}`;
  const config = withSinks({
    webhooks: [{ url: `${webhook}/in`, secret: "0123456789abcdef", max_queue: 1 }],
    redis_stream: { url: `redis://127.0.0.1:${freePort()}`, max_queue: 1 },
  });
  const sinks = sinksFromConfig(config, logger, drops);
  try {
    // Two events into queues of one: the older of each is let go at once, before any delivery.
    for (const version of [1, 2]) {
      for (const { sink } of sinks) sink.publish({ type: "config.reloaded", at: version, version });
    }
  } finally {
    await Promise.all(sinks.map(({ sink }) => sink.close?.(performance.now())));
  }
  const full = lines.filter((line) => line.fields?.reason === "queue_full");
  expect(full.map((line) => [line.message, line.fields?.sink])).toEqual([
    ["redis stream events dropped", "events.redis_stream"],
    ["webhook events dropped", "events.webhooks[0]"],
  ]);
  expect(full[0]?.fields?.stream).toBe("mindgw:events");
  expect(full[1]?.fields?.url).toBe(webhook);
  expect(drops.read().map((cell) => cell.sink)).toContain("events.webhooks[0]");
  expect(drops.read().map((cell) => cell.sink)).toContain("events.redis_stream");
});
