import { describe, expect, test } from "bun:test";
import { errorBody } from "../core/error-wire.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { errorResponse } from "../http/error-body.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { inCallerNames } from "./caller-param.ts";
import { chatRequest, fakeProvider, routerFor } from "./router-test-kit.ts";

// An OpenAI upstream's 400 names the field at fault in `param`; on a translated call that is the
// translation's field, which the caller never sent. The caller reads its own name for it.

const config = {
  providers: [{ name: "oa", type: "openai" }],
  models: [{ name: "m", routes: [{ provider: "oa", model: "up" }] }],
  routing: { retries: 0 },
};

/** An upstream that refuses every call as OpenAI does, naming `param`. */
function refusing(param: string) {
  const body = {
    error: {
      message: `Invalid '${param}': too large.`,
      type: "invalid_request_error",
      param,
      code: "invalid_value",
    },
  };
  return fakeProvider("oa", () =>
    Promise.reject(
      upstreamFailure("oa", { status: 400, headers: new Headers(), text: JSON.stringify(body) }),
    ),
  );
}

async function failure(param: string, request: Parameters<ReturnType<typeof routerFor>["router"]>[0]) {
  const { router } = routerFor(config, [refusing(param)]);
  const error = await router(request).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe("an upstream error's param, in the caller's words", () => {
  test("a Messages call: max_completion_tokens is the caller's max_tokens", async () => {
    const error = await failure("max_completion_tokens", {
      ...chatRequest("m"),
      operation: "messages",
      body: { model: "m", max_tokens: 1_000_000, messages: [{ role: "user", content: "hi" }] },
    });
    expect([error.status, error.param]).toEqual([400, "max_tokens"]);
  });

  test.each([["max_tokens"], ["max_completion_tokens"]])(
    "a Responses call: %s is the caller's max_output_tokens, in the body it gets as the upstream sent it",
    async (param) => {
      const error = await failure(param, {
        ...chatRequest("m"),
        operation: "responses",
        body: { model: "m", input: "hi", max_output_tokens: 1_000_000 },
        responses: { id: "resp_1", previous: [], onResponse: () => {} },
      });
      expect(error.param).toBe("max_output_tokens");
      expect(errorBody(error, "openai")).toMatchObject({
        error: {
          param: "max_output_tokens",
          code: "invalid_value",
          message: `Invalid '${param}': too large.`,
        },
      });
      const wire = (await errorResponse(error, "openai", {}).json()) as { error: { param: string } };
      expect(wire.error.param).toBe("max_output_tokens");
    },
  );

  test("a field the caller sent under the same name, and a same-dialect call, keep the upstream's param", async () => {
    const translated = await failure("messages", {
      ...chatRequest("m"),
      operation: "messages",
      body: { model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] },
    });
    expect(translated.param).toBe("messages");
    const same = await failure("max_completion_tokens", chatRequest("m"));
    expect(same.param).toBe("max_completion_tokens");
  });

  test("a Responses call past the window: the chat upstream's messages is the caller's input, in the body it gets too", async () => {
    const tooLong = {
      error: {
        message:
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      },
    };
    const upstream = fakeProvider("oa", () =>
      Promise.reject(
        upstreamFailure("oa", { status: 400, headers: new Headers(), text: JSON.stringify(tooLong) }),
      ),
    );
    const { router } = routerFor(config, [upstream]);
    const error = (await router({
      ...chatRequest("m"),
      operation: "responses",
      body: { model: "m", input: "a long conversation" },
      responses: { id: "resp_1", previous: [], onResponse: () => {} },
    }).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.param]).toEqual([400, "context_length_exceeded", "input"]);
    expect(errorBody(error, "openai")).toMatchObject({
      error: { param: "input", code: "context_length_exceeded" },
    });
  });

  test("renamed, an error keeps every other field: its retry verdicts, its usage, its headers", () => {
    const usage = { inputTokens: 3, outputTokens: 0 };
    const error = new GatewayError({
      status: 400,
      code: "invalid_request",
      message: "Invalid 'max_completion_tokens': too large.",
      param: "max_completion_tokens",
      retryable: true,
      sameRouteAgain: false,
      sameApiAgain: false,
      countsAgainstRoute: false,
      usage,
      headers: { "x-should-retry": "false" },
      detail: "why",
    });
    const named = inCallerNames(error, { max_completion_tokens: "max_tokens" });
    expect(named.param).toBe("max_tokens");
    expect([
      named.retryable,
      named.sameRouteAgain,
      named.sameApiAgain,
      named.countsAgainstRoute,
      named.usage,
      named.headers,
      named.detail,
    ]).toEqual([true, false, false, false, usage, { "x-should-retry": "false" }, "why"]);
  });
});
