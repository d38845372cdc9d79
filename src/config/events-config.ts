import { z } from "zod";
import { GATEWAY_EVENT_TYPES } from "../audit/gateway-event.ts";
import { SINK_QUEUE_BYTES } from "../events/event-queue.ts";
import { configUrl, redisUrl } from "./config-url.ts";
import { duration, num, size } from "./config-values.ts";
import { formatSize } from "./units.ts";

/**
 * An event sink's filter: only these event types; all when absent. Named from the one list, so a
 * typo (`config.restart-required`) is refused at load instead of silently matching nothing.
 */
const eventTypes = z.array(z.enum(GATEWAY_EVENT_TYPES)).optional();

/**
 * What a sink's queued events' JSON may add up to; past it too the oldest are dropped. At least
 * 64KB, room for any one event (a finished request's is about 1 KB): at 0 every event was dropped.
 */
const sinkQueueBytes = size(formatSize(SINK_QUEUE_BYTES), 64 * 1024);

/** `events`: the sinks gateway events go to besides the live stream (webhooks, a Redis stream). */
export const eventsConfigSchema = z.strictObject({
  webhooks: z
    .array(
      z.strictObject({
        url: configUrl({ protocol: /^https?$/ }),
        /** HMAC-SHA256 key for `x-mindgw-signature`. */
        secret: z.string().min(16, "at least 16 characters"),
        /** Event types to send (`request.finished`, `worker.lost`, ...); all when absent. */
        types: eventTypes,
        batch_size: num(z.number().int().min(1).max(10_000)).default(100),
        flush: duration("1s"),
        max_queue: num(z.number().int().min(1)).default(10_000),
        max_queue_bytes: sinkQueueBytes,
        max_attempts: num(z.number().int().min(1).max(100)).default(5),
      }),
    )
    .default([]),
  /**
   * Append events to a Redis stream (`XADD`) on `url`, else on `cluster.redis_url`: a single
   * node (SQLite, no `cluster:`) names its Redis here.
   */
  redis_stream: z
    .strictObject({
      url: redisUrl().optional(),
      stream: z.string().min(1).default("mindgw:events"),
      /** Trims the stream to about this many entries. */
      max_len: num(z.number().int().min(1)).default(100_000),
      types: eventTypes,
      max_queue: num(z.number().int().min(1)).default(10_000),
      max_queue_bytes: sinkQueueBytes,
    })
    .optional(),
});
