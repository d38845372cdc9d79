import { isThenable } from "../core/is-thenable.ts";
import {
  carryLines,
  createLogger,
  type LogFields,
  type LogFormat,
  type Logger,
  loggerLines,
} from "./logger.ts";
import { repeatedFailure } from "./repeated-failure.ts";

/**
 * A logger handed to the gateway as the gateway calls it: a call that throws (a log shipper down)
 * is caught, never thrown into the gateway, where it would end the report of every other request
 * of its turn or a stop step. The failure is said on stderr, in the logger's own format when
 * createLogger made it (a JSON line in a JSON log), once at first and then at most once every 30 s
 * with how many calls failed (repeated-failure.ts): not once a call, on a path that logs per
 * request. A logger createLogger made for stderr (`mindgw serve`'s own) is the gateway's, whose
 * calls never throw (the batch catches its own writes' failures, and a line whose fields cannot be
 * written says so instead: logger.ts `lineOf`): it is taken as it is, no guard around each call.
 */
export function guardedLogger(
  logger: Logger,
  /** Where a failure is said, in a format: stderr's own logger by default. */
  stderrIn: (format: LogFormat) => Logger = (format) => createLogger({ format }),
): Logger {
  const lines = loggerLines(logger);
  if (lines?.stderr) return logger;
  const failed = repeatedFailure(stderrIn(lines?.format ?? "text"), "the logger handed to the gateway");
  // Each call reads the method anew: an embedder may swap its logger's methods (a level change).
  // An `async` method (a shipper's client) is a Logger to TypeScript: its rejection is the call's
  // failure as a throw is, where left unhandled it ended the process. Synchronous calls pay a
  // read of their `undefined` answer.
  const guarded = (level: keyof Logger) => (message: string, fields?: LogFields) => {
    try {
      const answer: unknown = logger[level](message, fields);
      if (isThenable(answer)) answer.then(undefined, failed);
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
  // One `createLogger` made with a write of the embedder's keeps what the gateway reads of it
  // through the guard: the access lines its audit thread writes (audit/access-line-relay.ts), the
  // level checked before a line is built, a line's time its request's end.
  carryLines(logger, guard, failed);
  return guard;
}
