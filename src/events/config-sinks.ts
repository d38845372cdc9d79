import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import type { EventSink } from "./event-sink.ts";
import { createRedisStreamSink } from "./redis-stream-sink.ts";
import { createWebhookSink } from "./webhook-sink.ts";

/** The sinks `events:` in config names (`mindgw serve`); embedders may pass their own besides. */
export function sinksFromConfig(config: Config, logger: Logger): EventSink[] {
  const stream = config.events.redis_stream;
  const redis =
    stream && config.cluster
      ? [
          createRedisStreamSink({
            url: config.cluster.redis_url,
            stream: stream.stream,
            maxLen: stream.max_len,
            maxQueue: stream.max_queue,
            ...(stream.types ? { types: stream.types } : {}),
            timeoutMs: config.cluster.redis_timeout,
            onDrop: (count) => logger.warn("redis stream events dropped", { stream: stream.stream, count }),
          }),
        ]
      : [];
  return [...redis, ...webhooks(config, logger)];
}

function webhooks(config: Config, logger: Logger): EventSink[] {
  return config.events.webhooks.map((hook) =>
    createWebhookSink({
      url: hook.url,
      secret: hook.secret,
      ...(hook.types ? { types: hook.types } : {}),
      batchSize: hook.batch_size,
      flushMs: hook.flush,
      maxQueue: hook.max_queue,
      maxAttempts: hook.max_attempts,
      onDrop: (count, reason) =>
        logger.warn("webhook events dropped", { url: new URL(hook.url).origin, count, reason }),
    }),
  );
}
