import { z } from "zod";
import { duration, num, size } from "./config-values.ts";
import { timeoutsSchema } from "./timeouts-config.ts";

/** `routing`: retries, per-attempt bounds, the circuit breaker and the bounds on what an upstream sends. */
export const routingConfigSchema = z.strictObject({
  /** Attempts per route after the first, before failing over to the next route. */
  retries: num(z.number().int().min(0).max(10)).default(1),
  backoff: duration("100ms"),
  timeouts: timeoutsSchema.prefault({}),
  circuit_breaker: z
    .strictObject({ failures: num(z.number().int().min(1)).default(5), cooldown: duration("30s") })
    .prefault({}),
  /**
   * Longest event-stream line accepted from an upstream before the stream is cut. At least
   * 64KB: a line is one event, and a Responses stream's first events repeat the request's
   * instructions and tools, its last the whole answer (at 0, any line that came in two reads
   * cut its stream).
   */
  max_sse_line: size("1MB", 64 * 1024),
  /**
   * Largest whole (non-stream) upstream answer read; a larger one is a 502, never buffered.
   * At least 64KB: a long answer, or one embedding of a few thousand floats, is tens of KB (at
   * 0, every answer was a 502).
   */
  max_upstream_body: size("32MB", 64 * 1024),
  /**
   * A stream whose first token takes longer than this is committed (200, event stream) and
   * kept alive with an SSE comment this often, so proxies in between do not time it out; a
   * routing failure after that is the stream's closing error event. 0: wait silently.
   */
  stream_keepalive: duration("15s"),
});
