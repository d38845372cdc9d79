import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import { dropLog } from "./drop-log.ts";
import type { NamedSink } from "./named-sink.ts";
import { createRedisStreamSink } from "./redis-stream-sink.ts";
import { REDIS_STREAM_DROP_REASONS, type SinkDrops, WEBHOOK_DROP_REASONS } from "./sink-drops.ts";
import { createWebhookSink } from "./webhook-sink.ts";

/** A write's bound on a Redis of the stream's own (a cluster's is `cluster.redis_timeout`). */
const REDIS_TIMEOUT_MS = 2_000;

/**
 * The sinks `events:` in config names (`mindgw serve`), each named by its place there; embedders
 * may pass their own besides. Each one's drops are logged a burst at a time, the lines' `sink`
 * its name, and counted in `drops` by its name and reason (`/metrics`, the same `sink` label).
 */
export function sinksFromConfig(config: Config, logger: Logger, drops: SinkDrops): NamedSink[] {
  const stream = config.events.redis_stream;
  // Its own Redis, else the cluster's (the config check refuses a stream with neither).
  const url = stream?.url ?? config.cluster?.redis_url;
  const redis =
    stream && url !== undefined
      ? [
          {
            name: STREAM_NAME,
            sink: createRedisStreamSink({
              url,
              stream: stream.stream,
              maxLen: stream.max_len,
              maxQueue: stream.max_queue,
              maxQueueBytes: stream.max_queue_bytes,
              ...(stream.types ? { types: stream.types } : {}),
              // The cluster's bound is for the cluster's Redis: a stream on its own url keeps its own.
              timeoutMs:
                stream.url === undefined
                  ? (config.cluster?.redis_timeout ?? REDIS_TIMEOUT_MS)
                  : REDIS_TIMEOUT_MS,
              ...drops.counting(
                STREAM_NAME,
                REDIS_STREAM_DROP_REASONS,
                dropLog(logger, "redis stream", { sink: STREAM_NAME, stream: stream.stream }),
              ),
            }),
          },
        ]
      : [];
  return [...redis, ...webhooks(config, logger, drops)];
}

const STREAM_NAME = "events.redis_stream";

function webhooks(config: Config, logger: Logger, drops: SinkDrops): NamedSink[] {
  return config.events.webhooks.map((hook, index) => {
    const name = `events.webhooks[${index}]`;
    const dropped = dropLog(logger, "webhook", { sink: name, url: new URL(hook.url).origin });
    return {
      name,
      sink: createWebhookSink({
        url: hook.url,
        secret: hook.secret,
        ...(hook.types ? { types: hook.types } : {}),
        batchSize: hook.batch_size,
        flushMs: hook.flush,
        maxQueue: hook.max_queue,
        maxQueueBytes: hook.max_queue_bytes,
        maxAttempts: hook.max_attempts,
        ...drops.counting(name, WEBHOOK_DROP_REASONS, dropped),
      }),
    };
  });
}
