import { describe, expect, test } from "bun:test";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { bedrockFailure } from "../providers/bedrock/bedrock-errors.ts";
import {
  CONVERSE_TARGET,
  chatRequestToConverse,
} from "../translate/openai-to-bedrock/chat-request-to-converse.ts";
import type { DispatchRequest } from "./router.ts";
import { chatRequest, type FakeProvider, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import {
  COMPLETION,
  MESSAGE,
  oneRoute,
  refusal,
  refusedBy,
  responsesCall,
} from "./router-unsupported-fixture.ts";

describe("top_p beside temperature, which Claude 4.5 models refuse together", () => {
  // Anthropic's words, as Sonnet 4.5 answers the pair; every OpenAI model takes it.
  const BOTH_REFUSED = {
    type: "error",
    error: {
      type: "invalid_request_error",
      message: "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
    },
  };
  const bothSet = (body: JsonObject) => body.temperature !== undefined && body.top_p !== undefined;
  const sonnet = () => ({
    ...fakeProvider("p", (call) =>
      bothSet(call.body) ? Promise.reject(refusal("p", BOTH_REFUSED)) : Promise.resolve(jsonReply(MESSAGE)),
    ),
    dialect: "anthropic" as const,
  });
  const routed = (policy: object = {}) => oneRoute("anthropic", "claude-sonnet-4-5", policy);
  const sampling = (provider: FakeProvider) =>
    provider.calls.map((call) => [call.body.temperature, call.body.top_p]);
  /** A chat call with the pair. */
  const chat = (temperature: number, top_p: number): Partial<DispatchRequest> => ({
    body: { model: "m", messages: [{ role: "user", content: "hi" }], temperature, top_p },
  });
  /** A Responses call with the pair. */
  const responses = (temperature: number, top_p: number) =>
    responsesCall({ model: "m", input: "hi", temperature, top_p });

  test.each([
    ["chat", chat(0.7, 0.9), 0.7, 0.9],
    ["Responses", responses(0.2, 0.5), 0.2, 0.5],
  ])(
    "%s → Anthropic: sent again without top_p, the temperature kept, top_p named",
    async (_, request, temperature, top_p) => {
      const claude = sonnet();
      const dispatched = await routerFor(routed(), [claude]).router(chatRequest("m", request));
      expect(sampling(claude)).toEqual([
        [temperature, top_p],
        [temperature, undefined],
      ]);
      expect(dispatched.dropped).toEqual(["top_p"]);
    },
  );

  test("under translation.unsupported: reject, the refusal is the caller's", async () => {
    const claude = sonnet();
    const { router } = routerFor(routed({ translation: { unsupported: "reject" } }), [claude]);
    const refused = await refusedBy(router, chatRequest("m", chat(0.7, 0.9)));
    expect(refused.status).toBe(400);
    expect(refused.message).toStartWith("`temperature` and `top_p` cannot both be specified");
    expect(claude.calls).toHaveLength(1);
  });

  // A Claude the gateway's table does not place (Haiku 4.5 it sends no effort at all), in Haiku 4.5's words.
  test("each hint once a route: a Claude refuses the effort, then the pair; the third call is answered, both named", async () => {
    const EFFORT_REFUSED = {
      type: "error",
      error: { type: "invalid_request_error", message: "This model does not support the effort parameter." },
    };
    const haiku = {
      ...fakeProvider("p", (call) => {
        if (isJsonObject(call.body.output_config) && call.body.output_config.effort !== undefined)
          return Promise.reject(refusal("p", EFFORT_REFUSED));
        if (bothSet(call.body)) return Promise.reject(refusal("p", BOTH_REFUSED));
        return Promise.resolve(jsonReply(MESSAGE));
      }),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor(oneRoute("anthropic", "their-haiku"), [haiku]);
    const request = chat(0.7, 0.9);
    const dispatched = await router(chatRequest("m", { body: { ...request.body, reasoning_effort: "low" } }));
    expect(sampling(haiku)).toEqual([
      [0.7, 0.9],
      [0.7, 0.9],
      [0.7, undefined],
    ]);
    expect(haiku.calls.map((call) => call.body.output_config)).toEqual([
      { effort: "low" },
      undefined,
      undefined,
    ]);
    expect([dispatched.dropped, dispatched.attempts]).toEqual([["reasoning_effort", "top_p"], 3]);
  });

  describe("Claude on Bedrock, which says the refusal after AWS's words", () => {
    const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    const bedrockRefusal = () =>
      bedrockFailure(
        "p",
        400,
        "ValidationException",
        "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one.",
      );
    /** `publisher: anthropic`: Anthropic's Messages body, Bedrock's errors. */
    const invoked = () => ({
      ...fakeProvider("p", (call) =>
        bothSet(call.body) ? Promise.reject(bedrockRefusal()) : Promise.resolve(jsonReply(MESSAGE)),
      ),
      dialect: "anthropic" as const,
    });
    /** Converse, translated in the provider's call as BedrockProvider does; what it sent kept. */
    const conversed: JsonObject[] = [];
    const converse = () => ({
      ...fakeProvider("p", (call) => {
        const sent = chatRequestToConverse(call.body).inferenceConfig as JsonObject;
        conversed.push(sent);
        return sent.temperature !== undefined && sent.topP !== undefined
          ? Promise.reject(bedrockRefusal())
          : Promise.resolve(jsonReply(COMPLETION));
      }),
      chatTarget: CONVERSE_TARGET,
    });
    // The provider's type is the fake's to play; config only needs one that parses.
    const on = (type: string) => oneRoute(type, CLAUDE);

    test("InvokeModel (publisher anthropic): sent again without top_p, top_p named", async () => {
      const claude = invoked();
      const dispatched = await routerFor(on("anthropic"), [claude]).router(chatRequest("m", chat(0.7, 0.9)));
      expect(sampling(claude)).toEqual([
        [0.7, 0.9],
        [0.7, undefined],
      ]);
      expect(dispatched.dropped).toEqual(["top_p"]);
    });

    test("Converse: top_p 1 is not sent; any other is sent again without it, chat and Responses alike", async () => {
      const sent = async (request: Partial<DispatchRequest>) => {
        conversed.length = 0;
        const { dropped } = await routerFor(on("openai"), [converse()]).router(chatRequest("m", request));
        return [[...conversed], dropped];
      };
      expect(await sent(chat(0.7, 1))).toEqual([[{ temperature: 0.7 }], []]);
      expect(await sent(chat(0.7, 0.9))).toEqual([
        [{ temperature: 0.7, topP: 0.9 }, { temperature: 0.7 }],
        ["top_p"],
      ]);
      const [inResponses, dropped] = await sent(responses(0.2, 0.5));
      expect([inResponses?.length, dropped]).toEqual([2, ["top_p"]]);
    });
  });

  describe("top_p refused by name is the caller's own 400, sent once", () => {
    // OpenAI's o-series, as it refuses top_p.
    const O3_REFUSAL = {
      error: {
        message: "Unsupported parameter: 'top_p' is not supported with this model.",
        type: "invalid_request_error",
        param: "top_p",
        code: "unsupported_parameter",
      },
    };
    // An Anthropic-compatible server whose schema has no top_p.
    const EXTRA = {
      type: "error",
      error: { type: "invalid_request_error", message: "top_p: Extra inputs are not permitted" },
    };
    const cases = [
      {
        caller: "a Responses caller",
        route: "a chat route",
        type: "openai",
        said: O3_REFUSAL,
        request: responses,
      },
      { caller: "a chat caller", route: "a chat route", type: "openai", said: O3_REFUSAL, request: chat },
      {
        caller: "a Responses caller",
        route: "an Anthropic route",
        type: "anthropic",
        said: EXTRA,
        request: responses,
      },
      { caller: "a chat caller", route: "an Anthropic route", type: "anthropic", said: EXTRA, request: chat },
    ] as const;

    test.each(cases)("$caller on $route", async ({ type, said, request }) => {
      const upstream = {
        ...fakeProvider("p", (call) =>
          call.body.top_p === undefined
            ? Promise.resolve(jsonReply(type === "openai" ? COMPLETION : MESSAGE))
            : Promise.reject(refusal("p", said)),
        ),
        dialect: type,
      };
      const config = { ...routed(), providers: [{ name: "p", type, responses_api: false }] };
      const refused = await refusedBy(
        routerFor(config, [upstream]).router,
        chatRequest("m", request(0.2, 0.5)),
      );
      expect([refused.status, upstream.calls.length]).toEqual([400, 1]);
      expect(refused.message).toContain("top_p");
    });
  });
});
