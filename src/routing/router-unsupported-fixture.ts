import type { JsonObject } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import type { DispatchRequest, Router } from "./router.ts";

// What the router-unsupported-*.test.ts files share (test support, not shipped): the answers a
// route gives, the 400 it refuses with, a one-route config, a Responses call, what a call threw.

/** Anthropic's answer, as short as the router takes it. */
export const MESSAGE = {
  id: "msg",
  type: "message",
  role: "assistant",
  content: [],
  stop_reason: "end_turn",
};
/** A chat completion, as short as the router takes it. */
export const COMPLETION = {
  id: "c",
  choices: [{ index: 0, message: { content: "hi" }, finish_reason: "stop" }],
};

/** A 400 from upstream `name` whose body is `body`, as an HTTP provider reports it. */
export const refusal = (name: string, body: object) =>
  upstreamFailure(name, { status: 400, headers: new Headers(), text: JSON.stringify(body) });

/** Model `m` over one route, provider `p` of `type` serving upstream `model`, never retried; `policy` merged in. */
export const oneRoute = (type: string, model = "up", policy: object = {}) => ({
  providers: [{ name: "p", type }],
  models: [{ name: "m", routes: [{ provider: "p", model }] }],
  routing: { retries: 0 },
  ...policy,
});

/** A Responses call's fields for `chatRequest`: its `body`, with nothing stored before it. */
export const responsesCall = (body: JsonObject): Partial<DispatchRequest> => ({
  operation: "responses",
  body,
  responses: { id: "resp_1", previous: [], onResponse: () => {} },
});

/** What `router` threw for `request`: every test that asks expects a refusal. */
export const refusedBy = async (router: Router, request: DispatchRequest) =>
  (await router(request).catch((e: unknown) => e)) as GatewayError;
