import { expect, test } from "bun:test";
import { tracingRequested } from "./start-tracing.ts";

// Tracing is off unless the environment names an exporter, and OTEL_SDK_DISABLED=true (a boolean
// the OpenTelemetry spec reads as the case-insensitive "true" alone) or OTEL_TRACES_EXPORTER=none
// keep it off whatever else is set (docs/OBSERVABILITY.md, "Traces").

const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" };

test.each([
  ["nothing set", {}, false],
  ["an endpoint", endpoint, true],
  ["a traces endpoint", { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" }, true],
  ["an exporter named", { OTEL_TRACES_EXPORTER: "console" }, true],
  ["OTEL_SDK_DISABLED=true", { ...endpoint, OTEL_SDK_DISABLED: "true" }, false],
  ["OTEL_SDK_DISABLED=TRUE", { ...endpoint, OTEL_SDK_DISABLED: "TRUE" }, false],
  ["OTEL_SDK_DISABLED=false", { ...endpoint, OTEL_SDK_DISABLED: "false" }, true],
  ["OTEL_SDK_DISABLED=1, no boolean of the spec's", { ...endpoint, OTEL_SDK_DISABLED: "1" }, true],
  ["OTEL_TRACES_EXPORTER=none", { ...endpoint, OTEL_TRACES_EXPORTER: "none" }, false],
] as const)("%s", (_, env, on) => {
  expect(tracingRequested(env)).toBe(on);
});
