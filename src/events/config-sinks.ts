import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import { dropLog } from "./drop-log.ts";
import type { NamedSink } from "./named-sink.ts";
import { createRedisStreamSink } from "./redis-stream-sink.ts";
import { createWebhookSink } from "./webhook-sink.ts";

/** A write's bound on a Redis of the stream's own (a cluster's is `cluster.redis_timeout`). */
const REDIS_TIMEOUT_MS = 2_000;

/**
 * The sinks `events:` in config names (`mindgw serve`), each named by its place there; embedders
 * may pass their own besides.
 */
export function sinksFromConfig(config: Config, logger: Logger): NamedSink[] {
  const stream = config.events.redis_stream;
  // Its own Redis, else the cluster's (the config check refuses a stream with neither).
  const url = stream?.url ?? config.cluster?.redis_url;
  const redis =
    stream && url !== undefined
      ? [
          {
            name: "events.redis_stream",
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
              ...dropLog(logger, "redis stream", { stream: stream.stream }),
            }),
          },
        ]
      : [];
  return [...redis, ...webhooks(config, logger)];
}

function webhooks(config: Config, logger: Logger): NamedSink[] {
  return config.events.webhooks.map((hook, index) => ({
    name: `events.webhooks[${index}]`,
    sink: createWebhookSink({
      url: hook.url,
      secret: hook.secret,
      ...(hook.types ? { types: hook.types } : {}),
      batchSize: hook.batch_size,
      flushMs: hook.flush,
      maxQueue: hook.max_queue,
      maxQueueBytes: hook.max_queue_bytes,
      maxAttempts: hook.max_attempts,
      ...dropLog(logger, "webhook", { url: new URL(hook.url).origin }),
    }),
  }));
}
