import { beforeAll } from "bun:test";
import { freePort } from "./free-port.ts";
import { gatewayFixture } from "./gateway-fixture.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./otlp-receiver.ts";
import { shadowedModel } from "./shadowed-model.ts";
import { waitFor } from "./wait-for.ts";
import { connectFleet } from "./worker-fleet.ts";

/** What sends a process's traces to `receiver` over OTLP/HTTP JSON, as `service`, every trace sampled. */
export const otelEnv = (receiver: OtlpReceiver, service: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_SERVICE_NAME: service,
  OTEL_TRACES_SAMPLER: "parentbased_always_on",
  OTEL_BSP_SCHEDULE_DELAY: "50",
});

/** OTLP span kinds. */
export const SERVER = 2;
export const CLIENT = 3;
/** JWT callers, whose name claim (`sub`) a user may choose: one may read as a key's name. */
export const JWT = {
  secret: "a-shared-secret-for-the-trace-tests-0123",
  issuer: "https://idp.test",
  audience: "mindgw",
};

/** A W3C `traceparent` header, sampled. */
export const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;
/** A caller's trace state, as clients send it (a space after the comma)… */
export const CALLER_STATE = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";
/** …and as a traced hop sends it on, written again as the OpenTelemetry SDK's propagator writes it. */
export const WRITTEN_STATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
/** Malformed (a key twice): ignored whole. */
export const BAD_STATE = "congo=1,congo=2";
/** `bytes` random bytes in lower-case hex: a trace id (16) or a span id (8). */
export const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The gateway's config in the trace tests: direct, failover, worker, count_tokens and shadowed models. */
export function configFor(fakeUrl: string) {
  return {
    providers: [
      ...["fake-a", "fake-b"].map((name) => ({ name, type: "openai", base_url: `${fakeUrl}/v1` })),
      // Nothing listens there: a shadow copy sent there fails at once.
      { name: "unreachable", type: "openai", base_url: `http://127.0.0.1:${freePort()}/v1` },
      { name: "fake-an", type: "anthropic", base_url: fakeUrl },
    ],
    models: [
      {
        name: "m-direct",
        routes: [
          { provider: "fake-a", model: "fake-model" },
          { provider: "fake-b", model: "fake-model" },
        ],
      },
      { name: "m-worker", routes: [{ provider: "workers", model: "fake-model" }] },
      // count_tokens: an OpenAI-type route cannot serve it (passed over), an Anthropic one can.
      {
        name: "m-count",
        routes: [
          { provider: "fake-a", model: "fake-model" },
          { provider: "fake-an", model: "claude-fake" },
        ],
      },
      { name: "m-oa", routes: [{ provider: "fake-a", model: "fake-model" }] },
      shadowedModel("m-shadowed", ["fake-a", "fake-model"], ["fake-b", "bench-model"]),
      shadowedModel("m-shadow-worker", ["fake-a", "fake-model"], ["workers", "fake-model"]),
      shadowedModel("m-shadow-down", ["fake-a", "fake-model"], ["unreachable", "bench-model"]),
    ],
    routing: { retries: 0 },
    auth: { jwt: { ...JWT, algorithms: ["HS256"], claims: { name: "sub" } } },
  };
}

/** What of the shared gateway a trace test file uses (each two processes less on a shared box). */
export interface TracesFixtureOptions {
  /** `false`: no worker (a file that routes to none: `m-worker`, `m-shadow-worker`). */
  readonly worker?: boolean;
  /**
   * `false`: no shared gateway, nor its receiver or worker (a file that spawns its own gateway per
   * test with `fx.spawn`, beside the fake upstream).
   */
  readonly gateway?: boolean;
}

/**
 * The gateway the trace tests share (test/e2e/observability-traces*.test.ts): the fake upstream
 * behind the models of `configFor`, one worker, both exporting to one OTLP receiver this starts.
 * Each file that calls it starts its own in its `beforeAll`: read the fixture (`fx`), the admin
 * `key`, the `receiver` and the worker's `--token` off what this returns when a test runs.
 */
export function tracesFixture({ worker = true, gateway = true }: TracesFixtureOptions = {}) {
  let receiver: OtlpReceiver | undefined;
  let workerToken = "";
  const fx = gatewayFixture({
    env: ({ own }) => {
      receiver = own(startOtlpReceiver());
      return otelEnv(receiver, "mindgw-gateway-test");
    },
    fakeRoutes: false,
    config: (_fakeUrl, { fake }) => configFor(fake.url),
    gateway,
  });
  beforeAll(async () => {
    if (!worker || !gateway) return;
    ({ token: workerToken } = await connectFleet(fx, [
      {
        upstream: `${fx.fake.url}/v1`,
        name: "w-trace",
        models: ["fake-model"],
        env: otelEnv(traces.receiver, "mindgw-worker-test"),
      },
    ]));
  }, 60_000);
  const traces = {
    fx,
    /** The bootstrap admin key. */
    get key() {
      return fx.gw.adminKey ?? "";
    },
    /** The OTLP receiver the gateway and the worker export to. */
    get receiver(): OtlpReceiver {
      if (receiver === undefined)
        throw new Error("the trace fixture's receiver is read before beforeAll ran");
      return receiver;
    },
    /** The worker's `--token`, on its command line. */
    get workerToken() {
      return workerToken;
    },
    /** The first `count` spans of the trace `traceId` the receiver has, waited for. */
    spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
      return waitFor(`${count} spans of trace ${traceId}`, () => {
        const spans = traces.receiver.spans.filter((s) => s.traceId === traceId);
        return spans.length >= count ? spans : undefined;
      });
    },
    /** What each upstream request carried of the trace context. */
    sentContext: () => fx.fake.requests.map((r) => [r.headers.traceparent, r.headers.tracestate]),
  };
  return traces;
}
