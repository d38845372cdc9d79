import { expect, test } from "bun:test";
import { upstreamError } from "../core/gateway-error.ts";
import type { AttemptInfo, DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { chatRequest, fakeProvider, routerFor, twoRoutes } from "./router-test-kit.ts";

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
