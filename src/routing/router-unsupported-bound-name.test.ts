import { afterAll, describe, expect, test } from "bun:test";
import { mistralServer } from "../../test/fake-upstream/mistral-api.ts";
import type { JsonObject, Operation } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { COMPLETION, oneRoute, refusal, refusedBy, responsesCall } from "./router-unsupported-fixture.ts";

// A server that does not know `max_completion_tokens` (OpenAI's name since the o1 models, which the
// gateway's translations write and the SDKs send) and refuses it by name: the call is sent again
// with the same bound as `max_tokens`, the name every OpenAI-compatible server reads.

describe("max_completion_tokens refused by name, sent again as max_tokens", () => {
  // Mistral's API without `preset: mistral` (which renames it before it leaves): its 422.
  const mistral = mistralServer();
  afterAll(() => mistral.server.stop(true));
  const plain = () => ({
    ...createOpenAICompatibleProvider({ name: "p", baseUrl: mistral.baseUrl }),
    calls: [],
  });
  const dispatchTo = (operation: Operation, body: JsonObject, policy: object = {}) => {
    mistral.received.length = 0;
    const { router, logs } = routerFor(oneRoute("openai", "mistral-small-latest", policy), [plain()]);
    return {
      logs,
      dispatched: router(
        chatRequest("m", {
          operation,
          body,
          ...(operation === "responses" ? responsesCall(body) : {}),
        }),
      ),
    };
  };
  const bounds = () => mistral.received.map((body) => [body.max_completion_tokens, body.max_tokens]);

  test("a Messages caller's max_tokens, which the translation wrote as max_completion_tokens", async () => {
    const { dispatched, logs } = dispatchTo("messages", {
      model: "m",
      max_tokens: 900,
      messages: [{ role: "user", content: "hi" }],
    });
    expect((await dispatched).reply.kind).toBe("json");
    expect(bounds()).toEqual([
      [900, undefined],
      [undefined, 900],
    ]);
    expect(logs.at(-1)?.message).toBe(
      "route's model refused a field the caller's API takes: sent again as max_tokens",
    );
    expect(logs.at(-1)?.fields).toMatchObject({ field: "max_completion_tokens", client_field: "max_tokens" });
  });

  test("a chat caller's own max_completion_tokens: its bytes are not sent again, the body renamed is", async () => {
    const { dispatched } = dispatchTo("chat", {
      model: "m",
      max_completion_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    const answer = await dispatched;
    expect(answer.dropped ?? []).toEqual([]);
    expect(bounds()).toEqual([
      [50, undefined],
      [undefined, 50],
    ]);
  });

  test("renamed under translation.unsupported: reject too (nothing is left out)", async () => {
    const { dispatched } = dispatchTo(
      "responses",
      { model: "m", max_output_tokens: 64, input: "hi" },
      { translation: { unsupported: "reject" } },
    );
    expect((await dispatched).reply.kind).toBe("json");
    expect(bounds()).toEqual([
      [64, undefined],
      [undefined, 64],
    ]);
  });

  test("Mistral's other envelope of the same refusal, and Azure OpenAI's older words", async () => {
    const refusals = [
      {
        object: "error",
        message: {
          detail: [
            {
              type: "extra_forbidden",
              loc: ["body", "max_completion_tokens"],
              msg: "Extra inputs are not permitted",
              input: 32000,
            },
          ],
        },
        type: "invalid_request_error",
        param: null,
        code: null,
      },
      {
        error: {
          message: "Unrecognized request argument supplied: max_completion_tokens",
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      },
    ];
    for (const said of refusals) {
      const upstream = fakeProvider("p", (call) =>
        call.body.max_completion_tokens === undefined
          ? Promise.resolve(jsonReply(COMPLETION))
          : Promise.reject(refusal("p", said)),
      );
      const { router } = routerFor(oneRoute("openai"), [upstream]);
      await router(chatRequest("m", { body: { model: "m", max_completion_tokens: 7, messages: [] } }));
      expect(upstream.calls.map((call) => [call.body.max_completion_tokens, call.body.max_tokens])).toEqual([
        [7, undefined],
        [undefined, 7],
      ]);
    }
  });

  test("a refusal of another field, or of the bound's value, is the caller's: no rename", async () => {
    for (const message of [
      "store: Extra inputs are not permitted",
      "Unsupported value: 'max_completion_tokens' does not support 5 with this model.",
    ]) {
      const upstream = fakeProvider("p", () =>
        Promise.reject(refusal("p", { error: { message, type: "invalid_request_error" } })),
      );
      const { router } = routerFor(oneRoute("openai"), [upstream]);
      const refused = await refusedBy(
        router,
        chatRequest("m", { body: { model: "m", max_completion_tokens: 5, store: true, messages: [] } }),
      );
      expect([refused.status, upstream.calls.length]).toEqual([400, 1]);
      expect((refused as GatewayError).message).toBe(message);
    }
  });
});
