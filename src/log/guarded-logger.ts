import { carryLines, createLogger, type LogFields, type Logger } from "./logger.ts";
import { repeatedFailure } from "./repeated-failure.ts";

/**
 * An embedder's logger as the gateway calls it: a call that throws (a log shipper down) is caught,
 * never thrown into the gateway, where it would end the report of every other request of its turn
 * or a stop step. The failure is said on stderr, once at first and then at most once every 30 s
 * with how many calls failed (repeated-failure.ts): not once a call, on a path that logs per request.
 */
export function guardedLogger(logger: Logger, stderr: Logger = createLogger()): Logger {
  const failed = repeatedFailure(stderr, "the embedder's logger");
  // Each call reads the method anew: an embedder may swap its logger's methods (a level change).
  const guarded = (level: keyof Logger) => (message: string, fields?: LogFields) => {
    try {
      logger[level](message, fields);
    } catch (error) {
      failed(error);
    }
  };
  const guard: Logger = {
    debug: guarded("debug"),
    info: guarded("info"),
    warn: guarded("warn"),
    error: guarded("error"),
  };
  // One `createLogger` made (`mindgw serve`'s own, or an embedder's) keeps what the gateway reads
  // of it through the guard: the access lines its audit thread writes (audit/access-line-relay.ts),
  // the level checked before a line is built, a line's time its request's end.
  carryLines(logger, guard, failed);
  return guard;
}
