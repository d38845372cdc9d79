import { expect, test } from "bun:test";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type OtlpGrpcReceiver, startOtlpGrpcReceiver } from "./harness/otlp-grpc-receiver.ts";
import { waitFor } from "./harness/wait-for.ts";

// OTEL_EXPORTER_OTLP_PROTOCOL=grpc through the compiled binary: sdk-node's own gRPC exporter, in
// the request thread (docs/OBSERVABILITY.md), delivers the gateway's spans to a gRPC collector.

let collector: OtlpGrpcReceiver;

const fx = gatewayFixture({
  env: async ({ defer }) => {
    collector = await startOtlpGrpcReceiver();
    defer(() => collector.stop());
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_SERVICE_NAME: "mindgw-grpc-test",
      OTEL_BSP_SCHEDULE_DELAY: "50",
    };
  },
});

test("over OTLP/gRPC, the server span and its attempt's reach the collector under the caller's trace", async () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const res = await fetch(fx.url("/v1/chat/completions"), {
    method: "POST",
    headers: { ...bearer(fx.adminKey), traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    body: chatBody("fake-model"),
  });
  expect(res.status).toBe(200);
  const spans = await waitFor("the gRPC export", () => {
    const found = collector.spans.filter((s) => s.traceId === traceId);
    return found.length >= 2 ? found : undefined;
  });
  const server = spans.find((s) => s.kind === 2);
  expect(server).toMatchObject({
    service: "mindgw-grpc-test",
    name: "chat fake-model",
    parentSpanId: "00f067aa0ba902b7",
  });
  expect(spans.find((s) => s.kind === 3)).toMatchObject({
    name: "chat fake-model",
    parentSpanId: server?.spanId ?? "-",
  });
});
