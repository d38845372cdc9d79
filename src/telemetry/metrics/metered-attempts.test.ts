import { expect, spyOn, test } from "bun:test";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { MeteredAttempts } from "./metered-attempts.ts";
import { quietSources } from "./testing/quiet-sources.ts";

const info = { route: "provider:a", vendor: "openai", upstreamModel: "up", retry: 0, failover: false };

test("an attempt's duration is its whole operation: a stream's, closed with no reading, to the request's end, with no clock read of its own", () => {
  const metrics = new GatewayMetrics(quietSources(), () => "other");
  const ended = spyOn(metrics, "attemptEnded");
  const attempts = new MeteredAttempts(metrics, { model: "m" });
  const attempt = attempts.attempt(info, 1_000);
  attempt.settled(undefined, undefined, 1_040);
  const now = spyOn(performance, "now");
  attempt.closed();
  expect(now).toHaveBeenCalledTimes(0);
  now.mockRestore();
  expect(ended).toHaveBeenCalledTimes(0);
  attempts.requestEnded(2_200);
  expect(ended.mock.calls.map((call) => call[1])).toEqual([1.2]);
  // Told once: the request's end after it changes nothing.
  attempts.requestEnded(9_000);
  expect(ended).toHaveBeenCalledTimes(1);
});

test("a failed attempt is timed at its verdict's reading; the next one starts afresh", () => {
  const metrics = new GatewayMetrics(quietSources(), () => "other");
  const ended = spyOn(metrics, "attemptEnded");
  const attempts = new MeteredAttempts(metrics, { model: "m" });
  const failed = attempts.attempt(info, 1_000);
  failed.settled(undefined, undefined, 1_300);
  failed.closed(undefined, 1_300);
  const next = attempts.attempt({ ...info, retry: 1 }, 1_310);
  next.settled(undefined, undefined, 1_400);
  next.closed(undefined, 1_400);
  attempts.requestEnded(1_500);
  expect(ended.mock.calls.map((call) => Math.round(call[1] * 1000))).toEqual([300, 90]);
});
