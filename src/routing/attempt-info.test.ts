import { expect, test } from "bun:test";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import type { AttemptInfo, DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { rejectionOf } from "../testing/gateway-error-of.ts";
import { GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import { GOOGLE_EMBEDDINGS_TARGET } from "../translate/openai-to-gemini/embeddings-to-google.ts";
import { chatRequest, fakeProvider, modelOver, routerFor, twoRoutes } from "./router-test-kit.ts";

// What telemetry is told of each attempt (the route, its retry, whether it is a failover): a first
// try is the route's own record, shared by every request; the rest are told as they are.
const listening = () => {
  const infos: AttemptInfo[] = [];
  const telemetry: DispatchTelemetry = {
    attempt: (info) => {
      infos.push(info);
      return { traceparent: undefined, settled: () => {}, closed: () => {} };
    },
  };
  return { infos, telemetry };
};

test("every request's first try on a route is told with the route's one record", async () => {
  const { infos, telemetry } = listening();
  const { router } = routerFor(twoRoutes(), [fakeProvider("a"), fakeProvider("b")]);
  await router(chatRequest("m", { telemetry }));
  await router(chatRequest("m", { telemetry }));
  const first = { route: "provider:a", vendor: "openai", upstreamModel: "ma", retry: 0, failover: false };
  expect(infos[0]).toEqual(first);
  expect(infos[1]).toBe(infos[0] as AttemptInfo);
});

test("a retry and a failover are told as such", async () => {
  const { infos, telemetry } = listening();
  const a = fakeProvider("a", () => Promise.reject(upstreamError("answered 503")));
  const { router } = routerFor(twoRoutes({ retries: 1 }), [a, fakeProvider("b")]);
  expect((await router(chatRequest("m", { telemetry }))).route).toBe("provider:b");
  expect(
    infos.map(({ route, upstreamModel, retry, failover }) => [route, upstreamModel, retry, failover]),
  ).toEqual([
    ["provider:a", "ma", 0, false],
    ["provider:a", "ma", 1, false],
    ["provider:b", "mb", 0, true],
  ]);
});

test("a route that passes the client's model name on (`*`) is told with that name", async () => {
  const { infos, telemetry } = listening();
  const config = {
    providers: [{ name: "oa", type: "openai" }],
    models: [{ name: "claude-*", routes: [{ provider: "oa", model: "*" }] }],
  };
  const { router } = routerFor(config, [fakeProvider("oa")]);
  await router(chatRequest("claude-haiku-4-5", { telemetry }));
  await router(chatRequest("claude-opus-4-5", { telemetry }));
  expect(infos.map((info) => info.upstreamModel)).toEqual(["claude-haiku-4-5", "claude-opus-4-5"]);
});

test("an attempt is told who serves it as the GenAI conventions name it: the provider's vendor, else its dialect", async () => {
  const { infos, telemetry } = listening();
  const bedrock = { ...fakeProvider("a"), vendor: "aws.bedrock" };
  const { router } = routerFor(twoRoutes(), [bedrock, fakeProvider("b")]);
  await router(chatRequest("m", { telemetry }));
  expect(infos.map((info) => info.vendor)).toEqual(["aws.bedrock"]);
  const failing = fakeProvider("a", () => Promise.reject(upstreamError("answered 503")));
  const again = routerFor(twoRoutes({ retries: 0 }), [
    { ...failing, vendor: "gcp.vertex_ai" },
    fakeProvider("b"),
  ]);
  infos.length = 0;
  await again.router(chatRequest("m", { telemetry }));
  expect(infos.map((info) => [info.route, info.vendor])).toEqual([
    ["provider:a", "gcp.vertex_ai"],
    ["provider:b", "openai"],
  ]);
});

// Only a call sent upstream is an attempt: a route passed over before sending (it cannot serve the
// operation) or a translation that refuses the request is no attempt, and no failover follows it.
const oaThenAnthropic = modelOver([
  { provider: "oa", type: "openai", model: "x" },
  { provider: "an", type: "anthropic", model: "y" },
]);
const countTokens = { operation: "count_tokens" as const, body: { model: "m", messages: [] } };

test("a route passed over for count_tokens is no attempt, and the next route no failover", async () => {
  const { infos, telemetry } = listening();
  const openai = fakeProvider("oa");
  const anthropic = { ...fakeProvider("an"), dialect: "anthropic" as const };
  const { router } = routerFor(oaThenAnthropic, [openai, anthropic]);
  const dispatched = await router(chatRequest("m", { ...countTokens, telemetry }));
  expect([dispatched.route, dispatched.attempts]).toEqual(["provider:an", 1]);
  expect(infos.map(({ route, retry, failover }) => [route, retry, failover])).toEqual([
    ["provider:an", 0, false],
  ]);
});

test("count_tokens answered by the gateway's estimate names no route, no upstream model, no attempt", async () => {
  const { infos, telemetry } = listening();
  const config = { ...oaThenAnthropic, models: [{ name: "m", routes: [{ provider: "oa", model: "x" }] }] };
  const { router } = routerFor(config, [fakeProvider("oa"), fakeProvider("an")]);
  const dispatched = await router(chatRequest("m", { ...countTokens, telemetry }));
  expect([dispatched.route, dispatched.upstreamModel, dispatched.attempts]).toEqual([null, null, 0]);
  expect(infos).toEqual([]);
});

test("a vendor's count that failed is an attempt: the next route is a failover", async () => {
  const { infos, telemetry } = listening();
  const refusing = {
    ...fakeProvider("oa", () =>
      Promise.reject(new GatewayError({ status: 400, code: "unsupported_operation", message: "no counter" })),
    ),
    countsTokens: true,
  };
  const anthropic = { ...fakeProvider("an"), dialect: "anthropic" as const };
  const { router } = routerFor(oaThenAnthropic, [refusing, anthropic]);
  await router(chatRequest("m", { ...countTokens, telemetry }));
  expect(infos.map(({ route, failover }) => [route, failover])).toEqual([
    ["provider:oa", false],
    ["provider:an", true],
  ]);
});

test("a translation that refuses the request is the caller's 400, no attempt", async () => {
  const { infos, telemetry } = listening();
  const openai = fakeProvider("a");
  const { router } = routerFor(twoRoutes(), [openai, fakeProvider("b")]);
  const refused = await router(
    chatRequest("m", {
      operation: "responses",
      body: { model: "m", input: "hi", max_output_tokens: "lots" },
      responses: { id: "resp_1", previous: [], onResponse: () => {} },
      telemetry,
    }),
  ).catch((e: unknown) => e);
  expect([(refused as GatewayError).status, (refused as GatewayError).code]).toEqual([
    400,
    "invalid_request",
  ]);
  expect(openai.calls).toHaveLength(0);
  expect(infos).toEqual([]);
});

test("a workers route with no worker to take the call is no attempt, and the next route no failover", async () => {
  const { createWorkerRegistry } = await import("../workers/gateway/worker-registry.ts");
  const { createWorkersProvider } = await import("../workers/gateway/worker-provider.ts");
  const registry = createWorkerRegistry();
  const workers = {
    provider: createWorkersProvider(registry),
    servesModel: (model: string, tenant?: string) => registry.serves(model, tenant),
    models: (tenant: string) => registry.models(tenant),
  };
  const config = {
    providers: [{ name: "b", type: "openai" }],
    models: [
      {
        name: "m",
        routes: [
          { provider: "workers", model: "w" },
          { provider: "b", model: "mb" },
        ],
      },
    ],
    routing: { backoff: 0 },
  };
  const { infos, telemetry } = listening();
  const { router } = routerFor(config, [fakeProvider("b")], { workers });
  expect((await router(chatRequest("m", { telemetry }))).route).toBe("provider:b");
  expect(infos.map(({ route, failover }) => [route, failover])).toEqual([["provider:b", false]]);
});

test("an attempt whose making throws is told to no one: no entry for it, a cut one included", async () => {
  const { infos, telemetry } = listening();
  // The attempt names its upstream as it is made: a provider whose name cannot be read breaks it.
  const broken = {
    ...fakeProvider("a"),
    get servedBy(): string {
      throw new Error("no name");
    },
  };
  const { router } = routerFor(twoRoutes(), [broken, fakeProvider("b")]);
  await router(chatRequest("m", { telemetry })).catch(() => undefined);
  expect(infos.map((info) => info.route)).not.toContain("provider:a");
});

test("a call a translating provider cannot take is refused before any attempt, as on Anthropic", async () => {
  // Gemini and Bedrock translate in their own call: completions they do not serve, token ids no
  // vendor reads. Both were refused inside the call, after an attempt opened (provider="gm").
  const { infos, telemetry } = listening();
  const gemini = {
    ...fakeProvider("gm"),
    chatTarget: GEMINI_TARGET,
    embeddingsTarget: GOOGLE_EMBEDDINGS_TARGET,
  };
  const config = {
    providers: [{ name: "gm", type: "openai" }],
    models: [{ name: "m", routes: [{ provider: "gm", model: "x" }] }],
  };
  const { router } = routerFor(config, [gemini]);
  const completions = await rejectionOf(() =>
    router(chatRequest("m", { operation: "completions", body: { model: "m", prompt: "hi" }, telemetry })),
  );
  expect([completions.status, completions.code]).toEqual([400, "unsupported_operation"]);
  const ids = await rejectionOf(() =>
    router(chatRequest("m", { operation: "embeddings", body: { model: "m", input: [[1, 2]] }, telemetry })),
  );
  expect([ids.status, ids.code, ids.param]).toEqual([400, "invalid_request", "input"]);
  expect(infos).toEqual([]);
  expect(gemini.calls).toHaveLength(0);
});
