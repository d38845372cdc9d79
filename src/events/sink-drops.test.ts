import { afterEach, expect, test } from "bun:test";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { GatewayMetrics } from "../telemetry/metrics/gateway-metrics.ts";
import { quietSources } from "../telemetry/metrics/testing/quiet-sources.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { dropLog } from "./drop-log.ts";
import { REDIS_STREAM_DROP_REASONS, SinkDrops, WEBHOOK_DROP_REASONS } from "./sink-drops.ts";
import { createWebhookSink } from "./webhook-sink.ts";

const event = (version: number): GatewayEvent => ({ type: "config.reloaded", at: version, version });

let stop = () => {};
afterEach(() => stop());

test("a webhook's drops are counted by its name and reason, each reason at 0 from the start, and still logged", async () => {
  // A real receiver that refuses every delivery (4xx: dropped untried).
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response("no", { status: 400 }),
  });
  stop = () => server.stop(true);
  const drops = new SinkDrops();
  const { logger, lines } = recordingLogger();
  const sink = createWebhookSink({
    url: `http://127.0.0.1:${server.port}/hook`,
    secret: "k",
    batchSize: 2,
    ...drops.counting("events.webhooks[0]", WEBHOOK_DROP_REASONS, dropLog(logger, "webhook", { url: "x" })),
  });
  drops.counting("events.redis_stream", REDIS_STREAM_DROP_REASONS, dropLog(logger, "redis stream", {}));
  for (const version of [1, 2, 3]) sink.publish(event(version));
  await sink.close();
  expect(sink.stats().dropped).toBe(3);
  expect(lines.map((line) => line.message)).toEqual(["webhook events dropped"]);

  const metrics = new GatewayMetrics(quietSources({ eventSinkDrops: () => drops.read() }), () => "other");
  const printed = (await metrics.scrape())
    .split("\n")
    .filter((l) => l.startsWith("mindgw_event_sink_dropped"));
  expect(printed.sort()).toEqual(
    [
      'mindgw_event_sink_dropped_total{sink="events.webhooks[0]",reason="queue_full"} 0',
      'mindgw_event_sink_dropped_total{sink="events.webhooks[0]",reason="rejected"} 3',
      'mindgw_event_sink_dropped_total{sink="events.webhooks[0]",reason="redirected"} 0',
      'mindgw_event_sink_dropped_total{sink="events.webhooks[0]",reason="retries_exhausted"} 0',
      'mindgw_event_sink_dropped_total{sink="events.webhooks[0]",reason="closed"} 0',
      'mindgw_event_sink_dropped_total{sink="events.redis_stream",reason="queue_full"} 0',
      'mindgw_event_sink_dropped_total{sink="events.redis_stream",reason="closed"} 0',
    ].sort(),
  );
});

test("a reason the sink was not said to drop for is counted all the same, from its first drop", () => {
  const drops = new SinkDrops();
  const { logger } = recordingLogger();
  const listener = drops.counting("events.redis_stream", ["queue_full"], dropLog(logger, "redis stream", {}));
  listener.onDrop(2, "closed");
  expect(drops.read()).toEqual([
    { sink: "events.redis_stream", reason: "queue_full", count: 0 },
    { sink: "events.redis_stream", reason: "closed", count: 2 },
  ]);
});
