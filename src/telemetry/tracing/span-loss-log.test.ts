import { expect, test } from "bun:test";
import type { Logger } from "../../log/logger.ts";
import { spanLossLog } from "./span-loss-log.ts";

test("a burst a line: the first loss of each reason after a delivery, then the burst's count at the next delivery", () => {
  const lines: string[] = [];
  const line = (level: string) => (message: string, fields?: object) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  const logger: Logger = {
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
  const losses = spanLossLog(logger);
  losses.delivered();
  losses.dropped(3, "HTTP 500 Internal Server Error");
  losses.dropped(2, "HTTP 500 Internal Server Error");
  losses.dropped(1, "the export queue is full");
  losses.delivered();
  losses.delivered();
  losses.dropped(4, "HTTP 500 Internal Server Error");
  expect(lines).toEqual([
    'warn spans dropped {"count":3,"reason":"HTTP 500 Internal Server Error","further":"counted until it delivers again"}',
    'warn spans dropped {"count":1,"reason":"the export queue is full","further":"counted until it delivers again"}',
    'info spans delivering again {"dropped":6}',
    'warn spans dropped {"count":4,"reason":"HTTP 500 Internal Server Error","further":"counted until it delivers again"}',
  ]);
  expect(losses.total).toBe(10);
});
