import { expect, test } from "bun:test";
import type { LogFields, Logger } from "../log/logger.ts";
import { dropLog } from "./drop-log.ts";

/** A logger that keeps its lines as `level message {fields}`. */
function lines(): { logger: Logger; written: string[] } {
  const written: string[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) =>
    void written.push(`${level} ${message} ${JSON.stringify(fields)}`);
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, written };
}

test("a burst of drops is one warning per reason, and the delivery that ends it one line with the burst's count", () => {
  const { logger, written } = lines();
  const log = dropLog(logger, "webhook", { url: "http://hooks.example" });
  // A receiver away under load: an event lost a request, then a batch whose tries ran out.
  for (let i = 0; i < 1_000; i++) log.onDrop(1, "queue_full");
  log.onDrop(100, "retries_exhausted");
  log.onDrop(1, "queue_full");
  log.onResumed(1_101);
  // The next burst is told again.
  log.onDrop(1, "queue_full");
  expect(written).toEqual([
    'warn webhook events dropped {"url":"http://hooks.example","count":1,"reason":"queue_full","further":"counted until it delivers again"}',
    'warn webhook events dropped {"url":"http://hooks.example","count":100,"reason":"retries_exhausted","further":"counted until it delivers again"}',
    'info webhook delivering again {"url":"http://hooks.example","dropped":1101}',
    'warn webhook events dropped {"url":"http://hooks.example","count":1,"reason":"queue_full","further":"counted until it delivers again"}',
  ]);
});

test("a drop whose reason does not say what the receiver answered carries it as error", () => {
  const { logger, written } = lines();
  const log = dropLog(logger, "webhook", { url: "http://hooks.example" });
  log.onDrop(
    3,
    "redirected",
    "the receiver answered 301, a redirect to https://elsewhere.example, which the gateway does not follow",
  );
  expect(written).toEqual([
    'warn webhook events dropped {"url":"http://hooks.example","count":3,"reason":"redirected","error":"the receiver answered 301, a redirect to https://elsewhere.example, which the gateway does not follow","further":"counted until it delivers again"}',
  ]);
});
