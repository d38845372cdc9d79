import { expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { bedrockFailure } from "../providers/bedrock/bedrock-errors.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import type { AttemptInfo, DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { AttemptLog } from "./attempt-log.ts";
import { MAX_AUDIT_ATTEMPTS } from "./audit-attempt.ts";

const info = (route: string, retry = 0): AttemptInfo => ({
  route,
  vendor: "openai",
  upstreamModel: `${route}-model`,
  retry,
  failover: false,
});

const upstream500 = new GatewayError({
  status: 502,
  code: "upstream_error",
  message: "upstream answered 500",
  retryable: true,
  upstream: { dialect: "openai", status: 500 },
});

test("records each attempt's route, outcome, upstream status, code and duration; the inner telemetry hears everything", () => {
  let clock = 100;
  const heard: string[] = [];
  const inner: DispatchTelemetry = {
    attempt: (i) => {
      heard.push(`attempt ${i.route}`);
      return {
        traceparent: "tp",
        settled: (error, servedBy, at) =>
          heard.push(`settled ${error?.code ?? "ok"} ${servedBy ?? ""} at ${at}`),
        closed: () => heard.push("closed"),
      };
    },
  };
  const log = new AttemptLog(inner, () => clock);
  const first = log.attempt(info("provider:a"), clock);
  expect(first.traceparent).toBe("tp");
  clock += 12.5;
  first.settled(upstream500, undefined, clock);
  first.closed(upstream500);
  const second = log.attempt(info("provider:workers"), clock);
  clock += 3;
  second.settled(undefined, "worker:w1", clock);
  expect(log.list()).toEqual([
    {
      route: "provider:a",
      upstreamModel: "provider:a-model",
      outcome: "failed",
      status: 500,
      errorClass: "upstream_error",
      durationMs: 12.5,
    },
    {
      route: "worker:w1",
      upstreamModel: "provider:workers-model",
      outcome: "ok",
      status: null,
      errorClass: null,
      durationMs: 3,
    },
  ]);
  expect(heard).toEqual([
    "attempt provider:a",
    "settled upstream_error  at 112.5",
    "closed",
    "attempt provider:workers",
    "settled ok worker:w1 at 115.5",
  ]);
});

test("an attempt without a verdict is `cut`, timed until the record is taken; a gateway error without an upstream keeps its own status", () => {
  let clock = 0;
  const log = new AttemptLog(undefined, () => clock);
  const timedOut = log.attempt(info("provider:a"), clock);
  clock = 30_000;
  timedOut.settled(
    new GatewayError({ status: 504, code: "upstream_timeout", message: "no first byte" }),
    undefined,
    clock,
  );
  log.attempt(info("provider:b"), clock);
  clock = 30_040;
  expect(
    log
      .list()
      .map(({ outcome, status, errorClass, durationMs }) => [outcome, status, errorClass, durationMs]),
  ).toEqual([
    ["failed", 504, "upstream_timeout", 30_000],
    ["cut", null, null, 40],
  ]);
});

test("keeps at most MAX_AUDIT_ATTEMPTS, the first ones", () => {
  const log = new AttemptLog(undefined, () => 0);
  for (let i = 0; i < MAX_AUDIT_ATTEMPTS + 5; i++)
    log.attempt(info(`provider:r${i}`), 0).settled(upstream500, undefined, 0);
  const kept = log.list();
  expect(kept).toHaveLength(MAX_AUDIT_ATTEMPTS);
  expect(kept.map((attempt) => attempt.route)).toEqual(
    Array.from({ length: MAX_AUDIT_ATTEMPTS }, (_, i) => `provider:r${i}`),
  );
});

test("a request with one attempt lists just that one", () => {
  const log = new AttemptLog(undefined, () => 0);
  expect(log.list()).toEqual([]);
  log.attempt(info("provider:a"), 0).settled(undefined, undefined, 0);
  expect(log.list().map((attempt) => [attempt.route, attempt.outcome])).toEqual([["provider:a", "ok"]]);
});

test("an entry timed by the router's readings: listing attempts that all have their verdict reads no clock", () => {
  let reads = 0;
  const log = new AttemptLog(undefined, () => {
    reads++;
    return 0;
  });
  const failed = log.attempt(info("provider:a"), 1_000);
  failed.settled(upstream500, undefined, 1_004.25);
  const served = log.attempt(info("provider:b"), 1_005);
  served.settled(undefined, undefined, 1_007);
  expect(log.list().map((attempt) => attempt.durationMs)).toEqual([4.25, 2]);
  expect(reads).toBe(0);
});

test("a committed attempt whose stream then fails is `failed`, timed until the failure; a client that left makes it `cut`", () => {
  let clock = 0;
  const log = new AttemptLog(undefined, () => clock);
  const cutOff = log.attempt(info("provider:a"), 0);
  cutOff.settled(undefined, undefined, 5);
  expect(log.list()[0]?.outcome).toBe("ok");
  cutOff.closed(new GatewayError({ status: 502, code: "upstream_error", message: "cut mid-stream" }), 900);
  const left = log.attempt(info("provider:b"), 1_000);
  left.settled(undefined, undefined, 1_010);
  clock = 1_250;
  left.closed(new GatewayError({ status: 499, code: "client_closed", message: "client left" }));
  const whole = log.attempt(info("provider:c"), 2_000);
  whole.settled(undefined, undefined, 2_003);
  whole.closed(undefined, 2_500);
  expect(
    log
      .list()
      .map(({ route, outcome, status, errorClass, durationMs }) => [
        route,
        outcome,
        status,
        errorClass,
        durationMs,
      ]),
  ).toEqual([
    ["provider:a", "failed", 502, "upstream_error", 900],
    ["provider:b", "cut", null, null, 250],
    ["provider:c", "ok", null, null, 3],
  ]);
});

test("the upstream's own status for every provider's failure: Gemini's and Bedrock's server faults, a refused key, an account", () => {
  const log = new AttemptLog(undefined, () => 0);
  const google = (status: number, name: string) =>
    upstreamFailure("gm", {
      status,
      headers: new Headers(),
      text: JSON.stringify({ error: { code: status, message: "down", status: name } }),
    });
  const failures = [
    google(500, "INTERNAL"),
    google(503, "UNAVAILABLE"),
    bedrockFailure("br", 503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
    upstreamFailure("oa", { status: 401, headers: new Headers(), text: "" }),
    upstreamFailure("an", {
      status: 402,
      headers: new Headers(),
      text: JSON.stringify({ type: "error", error: { type: "billing_error", message: "no payment method" } }),
    }),
  ];
  for (const failure of failures) log.attempt(info("provider:x"), 0).settled(failure, undefined, 1);
  expect(log.list().map(({ status, errorClass }) => [status, errorClass])).toEqual([
    [500, "upstream_error"],
    [503, "upstream_error"],
    [503, "upstream_error"],
    [401, "upstream_auth"],
    [402, "upstream_account"],
  ]);
});
